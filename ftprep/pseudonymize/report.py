"""Per-value results and the cumulative, mergeable report of the pseudonymize stage.

Reports hold counts and keyed 64-bit ids of originals (for distinct counts that
merge across worker processes) - never an original value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class EntityCount:
    occurrences: int = 0
    distinct: int = 0


@dataclass
class Transformed:
    """The result of one transform: the new value, whether it changed, occurrences per type."""

    value: Any
    changed: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class PseudonymizeReport:
    entities: dict[str, EntityCount] = field(default_factory=dict)
    redacted_secrets: int = 0
    #: strings given a different value
    values_changed: int = 0
    #: collisions avoided by a deterministic re-draw (injectivity kept)
    redraws: int = 0
    #: an original seen after the same string had already been emitted as a fake
    #: (cannot be undone in a streaming run; the leak check flags the line)
    collisions: int = 0
    #: GUIDs by context type (subscription, tenant, object, client, correlation)
    guid_contexts: dict[str, int] = field(default_factory=dict)
    distinct_ids: dict[str, set[int]] = field(default_factory=dict, repr=False)

    def add(self, etype: str, oid: int | None) -> None:
        ent = self.entities.get(etype)
        if ent is None:
            ent = self.entities[etype] = EntityCount()
        ent.occurrences += 1
        if oid is not None:
            ids = self.distinct_ids.get(etype)
            if ids is None:
                ids = self.distinct_ids[etype] = set()
            if oid not in ids:
                ids.add(oid)
                ent.distinct = len(ids)

    def to_dict(self) -> dict[str, Any]:
        return {
            "entities": {
                k: {"occurrences": v.occurrences, "distinct": v.distinct}
                for k, v in sorted(self.entities.items())
            },
            "redacted_secrets": self.redacted_secrets,
            "values_changed": self.values_changed,
            "redraws": self.redraws,
            "collisions": self.collisions,
            "guid_contexts": dict(sorted(self.guid_contexts.items())),
        }

    def merge(self, other: PseudonymizeReport) -> PseudonymizeReport:
        """A new report combining both (distinct counts are unions, not sums)."""
        out = PseudonymizeReport(
            redacted_secrets=self.redacted_secrets + other.redacted_secrets,
            values_changed=self.values_changed + other.values_changed,
            redraws=self.redraws + other.redraws,
            collisions=self.collisions + other.collisions,
        )
        for rep in (self, other):
            for k, n in rep.guid_contexts.items():
                out.guid_contexts[k] = out.guid_contexts.get(k, 0) + n
        for etype in sorted(set(self.entities) | set(other.entities)):
            ids = self.distinct_ids.get(etype, set()) | other.distinct_ids.get(etype, set())
            occ = sum(r.entities[etype].occurrences for r in (self, other) if etype in r.entities)
            out.entities[etype] = EntityCount(occ, len(ids) if ids else max(
                (r.entities[etype].distinct for r in (self, other) if etype in r.entities), default=0))
            if ids:
                out.distinct_ids[etype] = ids
        return out
