"""Only for the optional C speed-up; everything else is in pyproject.toml.

The extension is optional: if it cannot be compiled (no C compiler), kafkatui installs
and runs with its pure-Python record decoder.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension("kafkatui.engine.log._recordsc", ["kafkatui/engine/log/_recordsc.c"], optional=True),
    ]
)
