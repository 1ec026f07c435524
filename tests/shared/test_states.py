"""The job state machine and the status words each API uses."""

import itertools

import pytest

from shared.jobs.models import JobStatus
from shared.jobs.states import (
    ACTIVE,
    ALLOWED_SOURCES,
    CANCELLABLE,
    TERMINAL,
    Vocabulary,
    can_transition,
    public_status,
)

S = JobStatus


@pytest.mark.parametrize("final", [S.CANCELLED, S.FAILED])
def test_a_cancelled_or_failed_job_never_completes(final):
    assert not can_transition(final, S.COMPLETED)


@pytest.mark.parametrize("current", sorted(TERMINAL))
def test_terminal_states_have_no_way_out(current):
    assert [t for t in S if can_transition(current, t)] == []


def test_only_a_running_job_completes():
    assert [s for s in S if can_transition(s, S.COMPLETED)] == [S.RUNNING]


def test_the_happy_path_and_the_retry_loop_are_allowed():
    for current, target in [(S.PENDING, S.QUEUED), (S.QUEUED, S.RUNNING),
                            (S.RUNNING, S.COMPLETED), (S.RUNNING, S.RETRYING),
                            (S.RETRYING, S.RUNNING), (S.RUNNING, S.QUEUED),
                            (S.RETRYING, S.QUEUED)]:
        assert can_transition(current, target), (current, target)


def test_no_shortcuts():
    for current, target in [(S.PENDING, S.RUNNING), (S.PENDING, S.COMPLETED),
                            (S.QUEUED, S.COMPLETED), (S.PENDING, S.RETRYING),
                            (S.QUEUED, S.RETRYING)]:
        assert not can_transition(current, target), (current, target)


def test_nothing_enters_pending_again():
    assert [s for s in S if can_transition(s, S.PENDING)] == []


def test_cancel_and_fail_reach_exactly_the_unfinished_states():
    unfinished = {S.PENDING, *ACTIVE}
    assert unfinished == CANCELLABLE
    assert {s for s in S if can_transition(s, S.CANCELLED)} == unfinished
    assert {s for s in S if can_transition(s, S.FAILED)} == unfinished


def test_no_self_transitions():
    assert [s for s in S if can_transition(s, s)] == []


def test_allowed_sources_never_name_a_terminal_state():
    for target, sources in ALLOWED_SOURCES.items():
        assert not sources & TERMINAL, target


@pytest.mark.parametrize(("status", "vocabulary"), list(itertools.product(S, Vocabulary)))
def test_every_status_has_a_word_in_every_vocabulary(status, vocabulary):
    word = public_status(status, vocabulary)
    assert isinstance(word, str) and word


@pytest.mark.parametrize("vocabulary", list(Vocabulary))
def test_terminal_words_are_distinct_from_each_other_and_from_unfinished(vocabulary):
    terminal = {public_status(s, vocabulary) for s in TERMINAL}
    unfinished = {public_status(s, vocabulary) for s in S if s not in TERMINAL}
    assert len(terminal) == 3
    assert not terminal & unfinished


def test_known_words():
    assert public_status(S.QUEUED, Vocabulary.V1_JOBS) == "pending"
    assert public_status(S.RETRYING, Vocabulary.V1_JOBS) == "processing"
    assert public_status(S.RUNNING, Vocabulary.V1_CRAWL) == "running"
    assert public_status(S.PENDING, Vocabulary.V1_PAGES) == "queued"
    assert public_status(S.COMPLETED, Vocabulary.V1_COLOR) == "SUCCESS"
    assert public_status(S.CANCELLED, Vocabulary.V3_RECEIPTS) == "REVOKED"
    assert public_status(S.FAILED, Vocabulary.V3_RECEIPTS) == "FAILURE"


def test_v3_says_progress_once_a_started_job_moved():
    v3 = Vocabulary.V3_RECEIPTS
    assert public_status(S.RUNNING, v3) == "STARTED"
    assert public_status(S.RUNNING, v3, progress=0) == "STARTED"
    assert public_status(S.RUNNING, v3, progress=1) == "PROGRESS"
    assert public_status(S.RUNNING, v3, progress=100) == "PROGRESS"


@pytest.mark.parametrize("status", [s for s in S if s is not S.RUNNING])
def test_v3_progress_applies_only_to_running(status):
    assert public_status(status, Vocabulary.V3_RECEIPTS, progress=50) != "PROGRESS"


@pytest.mark.parametrize("vocabulary", [v for v in Vocabulary if v is not Vocabulary.V3_RECEIPTS])
def test_other_vocabularies_ignore_progress(vocabulary):
    for status in S:
        word = public_status(status, vocabulary, progress=50)
        assert word == public_status(status, vocabulary)
        assert word != "PROGRESS"
