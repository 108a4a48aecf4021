"""The live pipeline on Faust: app factory (:mod:`streams.app`) and exact table recovery on the
embedded Tansu broker (:mod:`streams.recovery`). Measured facts: ``streams/NOTES.md``."""
