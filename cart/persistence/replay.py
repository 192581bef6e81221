"""Replaying dead letters: the persistence messages that failed every retry."""

from django.db import transaction
from django.utils import timezone

from cart.models import DeadLetter
from cart.persistence.write_behind import decode_payload, write_messages
from core.sharding import shard_for_user


def dead_letter_replay(*, dead_letter_id: int) -> bool:
    """Write one dead letter's message to its user's shard and mark it replayed.

    Idempotent twice over: a replayed letter is skipped, and the upsert applies a line
    only if its version is newer than what the shard holds, so replaying after newer
    changes already landed changes nothing. Returns False when there was nothing to do.
    Raises the database error when the shard is still down (the letter stays pending).
    """
    with transaction.atomic():
        letter = DeadLetter.objects.select_for_update().filter(pk=dead_letter_id).first()
        if letter is None or letter.state == DeadLetter.State.REPLAYED:
            return False
        message = decode_payload(f"dead-letter-{letter.pk}", letter.payload)
        write_messages(shard_for_user(message.user_id), [message])
        letter.state = DeadLetter.State.REPLAYED
        letter.replayed_at = timezone.now()
        letter.save(update_fields=["state", "replayed_at"])
    return True
