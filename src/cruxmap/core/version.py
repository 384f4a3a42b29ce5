"""The package's version, in the core so that any layer can name it (the
grammar cache's file name, reports, ``--version``) without importing the
package root, which is the public API's face."""

__version__ = "0.1.0"
