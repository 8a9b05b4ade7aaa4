"""``restock report RUN_DIR``: write ``RUN_DIR/report.html``, a self-contained report of any run folder.

See :mod:`restock.reporting.run_report` for what it shows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Attach ``restock report``."""

    @app.command("report")
    def report(
        run_dir: Annotated[Path, typer.Argument(help="A run folder (a replay or a training run).")],
    ) -> None:
        """Write RUN_DIR/report.html: tables and figures, readable in a browser without a server."""
        from restock.reporting.run_report import write_report

        typer.echo(str(write_report(run_dir)))
