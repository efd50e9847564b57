"""What a dataset holds, in a few digests, and what changed since a run was trained on it.

``record`` summarises a dataset (``acvae.data.scan``): its items in all and per file, and
digests of its identifiers, of its labels (by item, with the schema) and of its images (by
item). Training keeps it in ``RUN/setup.json`` (``acvae.training.resume``); the tools that reuse a run
(``acvae.runs.experiment.load_run``) compare it with the dataset they read, and ``changes`` says
what differs in words ("d.tfrecord holds 28 items, not 30", "other images"). Digests do not
depend on file order or sharding: the same items re-prepared into other files are no change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

DIGESTS = ("identifiers", "labels", "images")
# the post-hoc commands' flag (acvae.runs.experiment.check_data):
# cli.define(flags.DEFINE_bool, *ALLOW_DATA_CHANGE_FLAG)
ALLOW_DATA_CHANGE_FLAG = ("allow_data_change", False,
                          "Use the run although its dataset changed since it was trained "
                          "(RUN/setup.json recorded what it held).")


def _digest(lines) -> str:
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line.encode("utf-8") + b"\x1e")
    return digest.hexdigest()[:16]


def record(header: str, files: dict[str, int],
           items: Sequence[tuple[tuple[str, ...], str]]) -> dict:
    """The summary of a dataset, JSON-ready.

    Args:
      header: the schema header (``Schema.header``).
      files: the number of items in each file, by path.
      items: ``(columns, image digest)`` of every item: its identifier first, then its labels
        in schema order.

    Returns:
      ``{"items": N, "files": {path: n}, "identifiers": d, "labels": d, "images": d}``.
    """
    return {
        "items": len(items),
        "files": dict(files),
        "identifiers": _digest(columns[0] for columns, _ in items),
        "labels": _digest([header] + ["\x1f".join(columns) for columns, _ in items]),
        "images": _digest(f"{columns[0]}\x1f{image}" for columns, image in items),
    }


def _file_changes(before: dict, now: dict) -> list[str]:
    """The files whose item count differs, that are new or that are gone."""
    changes = []
    for path in dict.fromkeys([*before, *now]):
        old, new = before.get(path), now.get(path)
        if old is None:
            changes.append(f"{path} is new ({new} items)")
        elif new is None:
            changes.append(f"{path} is gone (it held {old} items)")
        elif old != new:
            changes.append(f"{path} holds {new} items, not {old}")
    return changes


def changes(before: dict, now: dict) -> list[str]:
    """What differs between two ``record``s, in words; [] when they hold the same items.

    Files are named when their item counts differ; the identifiers, labels and images are
    compared as wholes, so an item that is replaced shows as "other identifiers", and labels
    or images are named only for the same identifiers.
    """
    if all(before.get(key) == now.get(key) for key in DIGESTS):
        return []
    old_files, new_files = before.get("files") or {}, now.get("files") or {}
    files = _file_changes(old_files, new_files)
    found = []
    if before.get("items") != now.get("items") and (len({*old_files, *new_files}) > 1
                                                    or not files):
        found.append(f"{now.get('items')} items in all, not {before.get('items')}")
    found += files
    if before.get("identifiers") != now.get("identifiers"):
        if before.get("items") == now.get("items"):
            found.append("other identifiers")
        return found
    found += [f"other {key}" for key in DIGESTS[1:] if before.get(key) != now.get(key)]
    return found
