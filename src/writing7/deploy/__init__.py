"""Running Writing7's stages somewhere else than this process: the Modal app (``modal_app.py``, docs/modal.md).

Like ``cli``, this package sits at the top of the library: it calls ``stages`` and never the other way round.
``modal_app`` needs the optional ``modal`` package (``pip install 'writing7[modal]'``); the helpers beside it do not.
"""
