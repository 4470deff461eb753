"""Numbers for read-backs and logs: grouped for reading aloud ("138 1234 5678"), or masked."""

from __future__ import annotations

from collections.abc import Sequence

ID_NUMBER_GROUPS = (6, 8, 4)
PHONE_GROUPS = (3, 4, 4)
APPLICATION_NO_GROUPS = (4, 4, 4)


def group_digits(number: str, groups: Sequence[int], separator: str = " ") -> str:
    """Split a number into groups for reading back, e.g. "138 1234 5678".

    Args:
        number: The number to split.
        groups: Group sizes from the left, e.g. :data:`PHONE_GROUPS`.
        separator: What to put between groups.

    Returns:
        The grouped number; characters beyond the groups form one last
        group, and a short number simply has fewer groups.

    Raises:
        ValueError: When a group size is not positive.

    """
    if any(size <= 0 for size in groups):
        raise ValueError("group sizes must be positive")
    parts = []
    start = 0
    for size in groups:
        if start >= len(number):
            break
        parts.append(number[start : start + size])
        start += size
    if start < len(number):
        parts.append(number[start:])
    return separator.join(parts)


def _mask_middle(text: str, keep_start: int, keep_end: int) -> str:
    """Replace all but the first and last few characters with "*"; mask all of a short text."""
    if len(text) <= keep_start + keep_end:
        return "*" * len(text)
    return text[:keep_start] + "*" * (len(text) - keep_start - keep_end) + text[len(text) - keep_end :]


def mask_id_number(number: str) -> str:
    """Mask an ID number for logs and read-backs: "330106********0028".

    The region code (6) and the last 4 characters stay; a number of 10
    characters or fewer is masked completely.
    """
    return _mask_middle(number, 6, 4)


def mask_phone(phone: str) -> str:
    """Mask a phone number for logs and read-backs: "138****5678".

    The first 3 and last 4 digits stay; a number of 7 characters or fewer is
    masked completely.
    """
    return _mask_middle(phone, 3, 4)
