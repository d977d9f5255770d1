"""Drawing: the SIAPkerja-ID card image (:mod:`~siapkerja_core.render.card`) and the
QR codes on it and on screens (:mod:`~siapkerja_core.render.qr`).

Pure: text and bytes in, SVG, PNG and terminal art out; no storage, no clock.
"""
