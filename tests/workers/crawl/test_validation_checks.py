"""The validation levels on a dataset whose verdicts are known (tests.support.validation_images)."""

import numpy as np
import pytest

from services.workers.crawl.settings import CrawlSettings
from services.workers.crawl.validation.checks import KeptFile, check
from services.workers.crawl.validation.hashing import near_pairs, perceptual_hash
from services.workers.crawl.validation.pipeline import rules_from
from shared.crawl.params import ValidationLevel
from shared.images import sniff_image_format
from tests.support.validation_images import DATASET, NEAR_DUPLICATE_PAIR, expected, scene

RULES = rules_from(CrawlSettings())


def kept(name: str, *, body: bytes | None = None, size: int | None = None) -> KeptFile:
    declared, stored, _verdicts = DATASET[name]
    body = stored if body is None else body
    return KeptFile(size_bytes=len(stored) if size is None else size, declared_type=declared,
                    detected_format=sniff_image_format(stored) or "", body=body)


@pytest.mark.parametrize("level", list(ValidationLevel))
@pytest.mark.parametrize("name", sorted(DATASET))
def test_each_image_gets_its_known_verdict_at_each_level(name: str,
                                                         level: ValidationLevel) -> None:
    verdict, codes = expected(name, level.value)
    if "near_duplicate" in codes:  # a judgement about the job, made when recording
        verdict, codes = "valid", set()
    found = check(kept(name), level, RULES)
    assert {reason.code for reason in found.reasons} == codes, found.reasons
    assert ("invalid" if found.reasons else "valid") == verdict
    assert all(reason.message for reason in found.reasons)


def test_slow_level_hashes_only_near_copies_close_together() -> None:
    hashes = {name: check(kept(name), ValidationLevel.SLOW, RULES).perceptual_hash
              for name in DATASET}
    hashed = sorted(name for name, value in hashes.items() if value)
    ids = list(range(len(hashed)))
    pairs = near_pairs(ids, [hashes[name] for name in hashed], probe_ids=set(ids),
                       max_distance=CrawlSettings().validation_duplicate_distance)
    assert [(hashed[a], hashed[b]) for a, b in pairs] == [tuple(sorted(NEAR_DUPLICATE_PAIR))]


def test_near_pairs_compares_only_pairs_that_touch_the_probes() -> None:
    same = perceptual_hash(_grey(1))
    other = perceptual_hash(_grey(2))
    assert near_pairs([5, 9, 12], [same, same, same], probe_ids={12}, max_distance=0) == [
        (5, 12), (9, 12)]
    assert near_pairs([5, 9], [same, other], probe_ids={5, 9}, max_distance=6) == []
    assert near_pairs([], [], probe_ids=set(), max_distance=6) == []


def _grey(seed: int) -> np.ndarray:
    return np.asarray(scene(seed).convert("L"))


def test_fast_level_notices_a_file_that_changed_or_went_missing() -> None:
    changed = check(kept("scene-a.jpg", size=10), ValidationLevel.FAST, RULES)
    assert [reason.code for reason in changed.reasons] == ["size_mismatch"]
    gone = check(kept("scene-a.jpg", body=b""), ValidationLevel.MEDIUM, RULES)
    assert {reason.code for reason in gone.reasons} == {"size_mismatch", "unknown_format"}
    missing = KeptFile(size_bytes=10, declared_type="image/png", detected_format="png",
                       body=None)
    assert [r.code for r in check(missing, ValidationLevel.SLOW, RULES).reasons] == [
        "missing_file"]


def test_medium_level_refuses_images_over_the_pixel_limit() -> None:
    tight = rules_from(CrawlSettings())
    tight = type(tight)(**{**tight.__dict__, "max_pixels": 320 * 240 - 1})
    found = check(kept("scene-a.jpg"), ValidationLevel.MEDIUM, tight)
    assert [reason.code for reason in found.reasons] == ["too_many_pixels"]
    assert (found.width, found.height) == (320, 240)
