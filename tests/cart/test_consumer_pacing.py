"""How long the persistence consumer waits between reads."""

import pytest

from cart.persistence.consumer import BATCH, IDLE_POLL_PAUSE_SECONDS, pause_before_next_read

LINGER = 0.25


@pytest.mark.parametrize(
    ("elapsed", "pause"),
    [(0.0, 0.25), (0.1, 0.15), (0.25, 0.0), (0.4, 0.0)],
)
def test_after_a_trickle_reads_start_a_linger_apart_whatever_the_write_took(elapsed, pause):
    assert pause_before_next_read(3, elapsed, LINGER, polling=False) == pytest.approx(pause)
    assert pause_before_next_read(3, elapsed, LINGER, polling=True) == pytest.approx(pause)


def test_after_a_full_batch_the_next_read_starts_at_once():
    assert pause_before_next_read(BATCH, 0.0, LINGER, polling=False) == 0.0
    assert pause_before_next_read(BATCH, 0.0, LINGER, polling=True) == 0.0


def test_an_empty_pass_pauses_only_when_polling_a_clusters_slots():
    # A blocking read on a single stream has already waited for messages.
    assert pause_before_next_read(0, 1.0, LINGER, polling=False) == 0.0
    assert pause_before_next_read(0, 0.01, LINGER, polling=True) == IDLE_POLL_PAUSE_SECONDS
