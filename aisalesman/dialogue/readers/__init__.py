"""The registered readers: ``lexicon`` (cue phrases), ``learned`` (the default) and ``llm``.

See :mod:`aisalesman.dialogue.reading` for the protocol and :func:`~aisalesman.dialogue.reading.make_reader`.
"""
