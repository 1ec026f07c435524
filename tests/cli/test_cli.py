"""The `conveyor` command's client verbs, run as a subprocess against the real stack:
login and its stored token, every submit verb followed to its end, the jobs verbs, colours
and crawls, --json for scripts, the exit codes, and Ctrl+C while waiting."""

import io
import json
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from PIL import Image

from tests.support.cli import PASSWORD, Cli, PtyRun, new_email
from tests.support.fake_web import WEB_KEPT, FakeWeb
from tests.support.pdfs import make_document, make_flowing_document
from tests.support.receipts import make_receipt
from tests.support.scans import page_lines, scan
from tests.support.stack import REPO_ROOT, Stack, free_port
from tests.support.surfaces import encoded, shaded_surface


@pytest.fixture
def cli(stack: Stack, tmp_path: Path) -> Cli:
    """A user signed up and logged in through `conveyor login`."""
    return Cli(url=stack.gateway_url, home=tmp_path / "home").login()


def _file(tmp_path: Path, name: str, content: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content)
    return str(path)


def _token_of(url: str, email: str) -> str:
    httpx.post(f"{url}/api/v1/auth/register", json={"email": email, "password": PASSWORD})
    answer = httpx.post(f"{url}/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    return str(answer.json()["access_token"])


# --- login and credentials ------------------------------------------------------------------

def test_login_stores_the_token_privately_and_conveyor_token_overrides_it(
        stack: Stack, tmp_path: Path) -> None:
    cli = Cli(url="", home=tmp_path / "home", email=new_email())
    done = cli.run("login", "--register", "--email", cli.email or "", "--password-stdin",
                   "--url", stack.gateway_url, stdin=PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert f"Logged in to {stack.gateway_url} as {cli.email}" in " ".join(done.stdout.split())

    assert stat.S_IMODE(cli.credentials.stat().st_mode) == 0o600
    assert stat.S_IMODE(cli.credentials.parent.stat().st_mode) == 0o700
    stored = json.loads(cli.credentials.read_text())
    assert stored["default_url"] == stack.gateway_url
    assert stored["servers"][stack.gateway_url]["email"] == cli.email
    # No --url and no CONVEYOR_URL: the server logged in to last, with its stored token.
    me = cli.json("whoami")
    assert (me["user"]["email"], me["url"]) == (cli.email, stack.gateway_url)
    assert me["token_source"] == str(cli.credentials)

    other = new_email("other")
    overridden = cli.json("whoami", CONVEYOR_TOKEN=_token_of(stack.gateway_url, other))
    assert (overridden["user"]["email"], overridden["token_source"]) == (other, "CONVEYOR_TOKEN")


def test_a_wrong_password_and_a_bad_token_exit_3_with_the_reason(cli: Cli) -> None:
    wrong = cli.run("login", "--email", cli.email or "", "--password-stdin",
                    stdin="not the password\n")
    assert wrong.returncode == 3, wrong.stderr
    assert "refused the login" in wrong.stderr

    refused = cli.run("jobs", "ls", CONVEYOR_TOKEN="not-a-token")
    assert refused.returncode == 3, (refused.stdout, refused.stderr)
    message = " ".join(refused.stderr.split())
    assert "refused the token from CONVEYOR_TOKEN" in message and "conveyor login" in message
    assert "Traceback" not in refused.stderr

    as_json = cli.run("jobs", "ls", "--json", CONVEYOR_TOKEN="not-a-token")
    assert as_json.returncode == 3
    assert json.loads(as_json.stdout)["error"]["status"] == 401


def test_no_credentials_exit_3(stack: Stack, tmp_path: Path) -> None:
    nobody = Cli(url=stack.gateway_url, home=tmp_path / "nobody")
    done = nobody.run("jobs", "ls")
    assert done.returncode == 3
    assert f"not logged in to {stack.gateway_url}" in " ".join(done.stderr.split())


def test_an_unreachable_server_exits_4(tmp_path: Path) -> None:
    closed = Cli(url=f"http://127.0.0.1:{free_port()}", home=tmp_path / "home")
    done = closed.run("jobs", "ls", CONVEYOR_TOKEN="any")
    assert done.returncode == 4, (done.stdout, done.stderr)
    assert f"cannot reach the Conveyor server at {closed.url}" in " ".join(done.stderr.split())
    as_json = closed.run("submit", "pdf", __file__, "--json", CONVEYOR_TOKEN="any")
    assert as_json.returncode == 4
    assert json.loads(as_json.stdout)["error"]["error_type"] == "NETWORK_ERROR"


@pytest.mark.parametrize("args", [
    ("frobnicate",),
    ("submit", "pdf", "/no/such/book.pdf"),
    ("jobs", "show", "twelve"),
    ("color", "transfer", __file__, "not-a-colour"),
    ("color", "match", "#12345"),
])
def test_usage_errors_exit_2(stack: Stack, tmp_path: Path, args: tuple[str, ...]) -> None:
    done = Cli(url=stack.gateway_url, home=tmp_path).run(*args, CONVEYOR_TOKEN="any")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr


def test_the_sdk_alone_has_the_client_verbs(cli: Cli) -> None:
    """`pip install 'conveyor-client[cli]'`: the same client verbs, no operator verbs."""
    sdk = Cli(url=cli.url, home=cli.home, module="conveyor_client.cli")
    assert sdk.json("whoami")["user"]["email"] == cli.email
    assert sdk.run("migrate").returncode == 2
    assert "grant-credits" not in sdk.run("--help").stdout
    assert "grant-credits" in cli.run("--help").stdout


# --- PDFs and the jobs verbs ------------------------------------------------------------------

def test_a_pdf_is_submitted_and_followed_to_its_summary(cli: Cli, tmp_path: Path) -> None:
    pdf, sentences = make_document(6)
    book = _file(tmp_path, "book.pdf", pdf)

    done = cli.run("submit", "pdf", book, "--wait", "--fix-hyphenation", "--engine", "pdfium")

    assert done.returncode == 0, (done.stdout, done.stderr)
    summary = " ".join(done.stdout.split())
    job_id = int(re.search(r"Job (\d+) completed", summary).group(1))  # type: ignore[union-attr]
    assert f"6 pages, {len(sentences)} sentences" in summary
    assert f"conveyor jobs result {job_id}" in summary

    job = cli.json("jobs", "show", str(job_id))
    assert (job["status"], job["kind"], job["progress_percent"]) == ("completed", "pdf", 100)
    assert job["result"]["text_engine"] == "pdfium"
    listed = cli.json("jobs", "ls", "--kind", "pdf")
    assert [j["id"] for j in listed["jobs"]] == [job_id]
    assert "book.pdf" in cli.run("jobs", "ls").stdout
    events = cli.json("jobs", "events", str(job_id))["events"]
    assert [e["to_status"] for e in events if e["event_type"] == "status"][-1] == "completed"
    assert "completed" in cli.run("jobs", "events", str(job_id)).stdout

    out = tmp_path / "out.txt"
    written = cli.run("jobs", "result", str(job_id), "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert out.read_text().splitlines() == sentences
    assert cli.run("jobs", "result", str(job_id)).stdout.splitlines() == sentences
    assert cli.json("jobs", "result", str(job_id))["sentences"] == sentences


def test_submit_pdf_json_is_the_final_job_document(cli: Cli, tmp_path: Path) -> None:
    pdf, sentences = make_document(2, seed=3)
    out = tmp_path / "sentences.txt"
    done = cli.run("submit", "pdf", _file(tmp_path, "two.pdf", pdf), "--wait", "--json",
                   "-o", str(out))
    assert done.returncode == 0, done.stderr
    job = json.loads(done.stdout)  # one document: no progress bar in it
    assert (job["status"], job["result"]["sentence_count"]) == ("completed", len(sentences))
    assert out.read_text().splitlines() == sentences
    assert "\x1b[" not in done.stdout + done.stderr


def test_a_job_is_cancelled_and_waiting_for_it_exits_1(cli: Cli, tmp_path: Path) -> None:
    pdf, _ = make_flowing_document(2500)  # about 40 pages on the slow model: a while
    started = cli.json("submit", "pdf", _file(tmp_path, "long.pdf", pdf), "--model", "quality")
    job_id = str(started["id"])

    cancelled = cli.json("jobs", "cancel", job_id)
    assert (cancelled["job_id"], cancelled["status"]) == (started["id"], "cancelled")
    waited = cli.run("jobs", "wait", job_id)
    assert waited.returncode == 1
    assert f"job {job_id} ended cancelled" in waited.stderr
    assert cli.json("jobs", "show", job_id)["status"] == "cancelled"


def test_a_failed_job_exits_1_with_its_error(cli: Cli, tmp_path: Path) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (400, 300), "white").save(blank, "PNG")
    photo = _file(tmp_path, "blank.png", blank.getvalue())

    done = cli.run("submit", "receipt", photo, "--wait")
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "FAILURE" in done.stderr and "Traceback" not in done.stderr

    as_json = cli.run("submit", "receipt", photo, "--wait", "--json")
    assert as_json.returncode == 1
    failed = json.loads(as_json.stdout)
    assert failed["error"]["error_type"] == "PROCESSING_FAILED"
    assert failed["job"]["status"] == "FAILURE"


# --- receipts, pages, colours, crawls ---------------------------------------------------------

def test_a_receipt_is_read_and_its_fields_shown(cli: Cli, tmp_path: Path) -> None:
    receipt = make_receipt(1)
    photo = _file(tmp_path, f"paragon.{receipt.fmt}", receipt.image)

    done = cli.run("submit", "receipt", photo, "--wait")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "SUCCESS" in done.stdout and receipt.expected["total"] in done.stdout

    status = cli.json("submit", "receipt", photo, "--wait")
    assert status["status"] == "SUCCESS"
    assert status["result"]["total"]["value"] == receipt.expected["total"]


def test_pages_are_uploaded_and_read_in_one_task(cli: Cli, tmp_path: Path) -> None:
    scans = [_file(tmp_path, f"scan{n}.png", scan(page_lines(n))) for n in (1, 2)]
    text = tmp_path / "pages.txt"

    done = cli.run("submit", "pages", *scans, "--wait", "-o", str(text))
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "2/2 pages" in done.stdout and "scan2.png" in done.stdout
    assert "harbor report" in text.read_text().lower()

    project = re.search(r"Project (\d+)", done.stdout).group(1)  # type: ignore[union-attr]
    more = cli.json("submit", "pages", scans[0], "--project", project, "--wait")
    assert (more["task"]["status"], more["project"]["id"]) == ("completed", int(project))
    assert [p["page_number"] for p in more["pages"]] == [3]


def test_colours_are_matched_and_a_photo_recoloured(cli: Cli, tmp_path: Path) -> None:
    matched = cli.json("color", "match", "#A52019", "--top", "3")
    assert matched["input"]["hex"] == "#A52019" and len(matched["matches"]) == 3
    exact = cli.json("color", "match", "RAL3000", "-n", "1")
    assert (exact["matches"][0]["code"], exact["matches"][0]["delta_e"]) == ("RAL 3000", 0)
    shown = cli.run("color", "match", "165,32,25")
    assert shown.returncode == 0 and "RAL" in shown.stdout

    door = _file(tmp_path, "door.png", encoded(shaded_surface()))
    out = tmp_path / "out.png"
    done = cli.run("color", "transfer", door, "RAL3000", "-o", str(out))
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert Image.open(out).format == "PNG" and Image.open(out).size == (640, 360)
    spaced = cli.json("color", "transfer", door, "RAL 3000")
    assert spaced["task"]["state"] == "SUCCESS"
    assert Image.open(spaced["output"]).format == "PNG"
    assert Path(spaced["output"]) == tmp_path / "door-RAL3000.png"


def test_a_crawl_is_started_and_followed(cli: Cli, fake_web: FakeWeb) -> None:
    job = cli.json("crawl", "start", "cat", "--engine", "web", "--max-images", "20",
                   "--seed-url", f"{fake_web.url}/sitemap.xml",
                   "--seed-url", f"{fake_web.url}/index.html", "--wait")
    assert (job["status"], job["kind"]) == ("completed", "crawl")
    assert job["result"]["downloaded_images"] == len(WEB_KEPT)
    images = cli.json("jobs", "result", str(job["id"]))
    assert images["total"] == len(WEB_KEPT)


# --- Ctrl+C while waiting ---------------------------------------------------------------------

def _long_pdf(tmp_path: Path) -> str:
    pdf, _ = make_flowing_document(2500)
    return _file(tmp_path, "long.pdf", pdf)


def test_ctrl_c_on_a_terminal_asks_and_cancels_the_job(cli: Cli, tmp_path: Path) -> None:
    run = PtyRun.start(cli, "submit", "pdf", _long_pdf(tmp_path), "--model", "quality",
                       "--wait")
    job_id = run.wait_for(r"job (\d+)").group(1)
    run.wait_for(r"\d+%")  # the bar is drawn: the job is being followed
    run.interrupt()
    run.wait_for(rf"Cancel job {job_id}\? \[y/n\]")
    run.type("y")

    assert run.finish() == 130, run.text
    assert f"job {job_id} cancelled." in run.text
    assert cli.json("jobs", "show", job_id)["status"] == "cancelled"


def test_ctrl_c_without_a_terminal_leaves_the_job_running(cli: Cli, stack: Stack,
                                                          tmp_path: Path) -> None:
    popen = subprocess.Popen(
        cli.interruptible_argv("submit", "pdf", _long_pdf(tmp_path), "--model", "quality",
                               "--wait", "--json"), cwd=REPO_ROOT, env=cli.env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 60
    while not cli.json("jobs", "ls", "--status", "processing")["jobs"]:
        assert time.monotonic() < deadline and popen.poll() is None, popen.communicate()
        time.sleep(0.2)
    time.sleep(0.5)  # processing once `start` answered; followed a moment later
    popen.send_signal(signal.SIGINT)
    stdout, stderr = popen.communicate(timeout=60)

    assert popen.returncode == 130, (stdout, stderr)
    left = json.loads(stdout)
    assert (left["interrupted"], left["cancelled"]) == (True, False)
    job = cli.json("jobs", "show", str(left["id"]))
    assert job["status"] == "processing"
    cli.json("jobs", "cancel", str(left["id"]))  # leave the workers to the other tests
