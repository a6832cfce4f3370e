"""An option list whose page keys work at any height."""

from __future__ import annotations

from textual.widgets import OptionList


class PagedOptionList(OptionList):
    """PageUp and PageDown move by what the list shows; with no row shown (a pane a few rows high, where the list's
    border takes all it gets), by one option: Textual's page move read rows never laid out and ended the app with a
    KeyError."""

    def action_page_down(self) -> None:
        if self.scrollable_content_region.height > 0:
            super().action_page_down()
        else:
            self.action_cursor_down()

    def action_page_up(self) -> None:
        if self.scrollable_content_region.height > 0:
            super().action_page_up()
        else:
            self.action_cursor_up()
