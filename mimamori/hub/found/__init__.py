"""Found-person QR stickers (issue 18, part 1): the sheet staff print
(``stickers.py``), the finder's 「保護しています」 and its bounds (``finder.py``,
``limits.py``), the family's notice and thread (``thread.py``, ``links.py``), the
finder's position on an open search's trail (``sighting.py``) and the sweep that
forgets a closed thread's messages (``sweep.py``). The SOS network (bulletins to
partners during a search) is part 2. See docs/found.md."""
