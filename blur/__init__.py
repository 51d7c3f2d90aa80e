"""blur: find every face in video and photos and redact it, irreversibly.

Importing the package does no work; the detector and media libraries load when
they are first used.
"""

__version__ = "0.1.0"
