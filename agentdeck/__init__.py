"""agentdeck: run several CLI coding agents in parallel on one repository."""

__version__ = "0.1.0"

import logging as _logging

# Records go to the log file once the deck configures it; until then, nowhere
# (never to the terminal, where they would tear through the UI or the one-line errors).
_logging.getLogger("agentdeck").addHandler(_logging.NullHandler())
