"""Draws spark/examples/pictures/: three small RGB pictures of different sizes and formats for the Spark
example job (README, "Scale out"). Needs numpy and Pillow; run from anywhere: python3 make_pictures.py"""
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

out = Path(__file__).resolve().parent / "pictures"
out.mkdir(exist_ok=True)

# Stripes (vertical edges), a box (horizontal and vertical edges), a disc (round edges): the example
# filters' output shows each.
stripes = np.zeros((24, 32, 3), dtype=np.uint8)
stripes[:, ::4] = (230, 40, 40)
stripes[:, 1::4] = (40, 200, 90)
Image.fromarray(stripes).save(out / "stripes.png")

box = Image.new("RGB", (40, 30), (20, 40, 120))
ImageDraw.Draw(box).rectangle((8, 6, 30, 22), fill=(250, 220, 60))
box.save(out / "box.jpg", quality=95)

disc = Image.new("RGB", (19, 27), (240, 240, 240))
ImageDraw.Draw(disc).ellipse((2, 6, 16, 20), fill=(200, 30, 160))
disc.save(out / "disc.png")
