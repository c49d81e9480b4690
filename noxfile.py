"""The one task runner. tox.ini and .ci/run call these sessions; the commands live only here."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["lint", "typecheck", "tests"]

TEST_COMMAND = ["pytest", "-n", "auto"]


@nox.session
def tests(session: nox.Session) -> None:
    """The project's own tests (the same command the README and .ci/run give)."""
    session.install("-e", ".[test]")
    session.run(*TEST_COMMAND, *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    session.install("ruff")
    session.run("ruff", "check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy, strict on conformance/ (configured in pyproject.toml)."""
    session.install("-e", ".[test]")
    session.run("mypy")


@nox.session
def specs(session: nox.Session) -> None:
    """Regenerate specs/normalized from specs/sources, then fail if anything drifted."""
    session.install("-e", ".")
    session.run("conformance", "specs", "normalize")
    session.run("conformance", "specs", "normalize", "--check")


@nox.session
def conformance(session: nox.Session) -> None:
    """Run the suite: against the embedded reference provider, or pass CLI options after `--`."""
    session.install("-e", ".")
    session.run("conformance", "run", *session.posargs, success_codes=[0, 1])
