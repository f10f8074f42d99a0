"""Test helpers that every app's tests import (the permission matrix lives in ``matrix``)."""
