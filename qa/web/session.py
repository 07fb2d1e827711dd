"""The conversation of one browser session: its turns in sending order, each answered from its own
question, and what the page shows of them. Held in gr.State; plain classes, no Gradio."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from ..answer.conversation import Previous
from .chat import Outcome
from .layout import TurnView

MAX_WAITING = 30  # questions one chat may have waiting
SHOWN_TURNS = 40  # turns the page shows (each render sends the whole conversation); older ones are hidden


# ---- the conversation of one browser session -------------------------------------------------------------------
@dataclass
class Turn:
    seq: int
    asked: str
    filters: dict
    state: str = "waiting"  # "waiting" -> "answering" -> "done"
    body: str = ""
    outcome: Outcome | None = None
    provisional: str = ""  # answering: the language model's words so far, unverified
    model: str = ""  # the language model they come from


class Conversation:
    """The turns of one chat. Held in gr.State (one per browser session) and changed in place under its lock.

    A plain class, not a dataclass: Gradio would serialise a dataclass's fields into the page config.
    """

    def __init__(self) -> None:
        self.turns: list[Turn] = []
        self.version = 0
        self.epoch = 0  # "new chat" count: a runner answering an older chat drops its result
        self.answering = False
        self.generation_seen = 0  # the index generation whose counts and article list the page shows
        self.lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Conversation({len(self.turns)} turns)"

    def __deepcopy__(self, memo):  # gr.State copies its initial value for each session: a fresh chat
        return Conversation()

    def previous(self, turn: Turn) -> Previous | None:
        """The last turn before `turn` that asked a question: what a follow-up is read against."""
        for other in reversed(self.turns):
            if other.seq >= turn.seq or other.outcome is None or other.outcome.resolution.problem:
                continue
            answer = other.outcome.answer
            article = answer.citations[0].article_id if answer and not answer.abstained and answer.citations else None
            return Previous(other.outcome.resolution.question, article)
        return None

    def refused_before(self, turn: Turn) -> bool:
        """Whether a question before `turn` was refused as not found: its refusal block was shown in full,
        so this one's is folded under one line."""
        return any(other.seq < turn.seq and other.outcome is not None and other.outcome.refusal == "not-found"
                   for other in self.turns)

    def views(self) -> list[TurnView]:
        out, ahead = [], 0
        for turn in self.turns[-SHOWN_TURNS:]:
            understood = scope = ""
            if turn.outcome is not None:
                r = turn.outcome.resolution
                read_as = turn.outcome.answer.read_as if turn.outcome.answer is not None else ""
                if read_as or (r.changed and r.question != turn.asked):
                    understood = read_as or r.question  # the diacritics put back into the resolved question
                scope = turn.outcome.scope
            elif any(turn.filters.get(k) for k in ("articles", "since", "until", "outlets")):
                scope = "theo bộ lọc đang chọn"
            out.append(TurnView(turn.seq, turn.asked, turn.state, turn.body, understood, scope, ahead,
                                     turn.provisional, turn.model))
            if turn.state != "done":
                ahead += 1
        return out
