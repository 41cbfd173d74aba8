"""Draw the sample articles' charts and covers with Pillow (run once; the results are committed).

    .venv/bin/python content/kepek/generate_images.py

Every figure is made from the numbers quoted in the sample articles, so text and picture agree.
Each file stays well under 100 KB. The importer skips this file (it only reads .md/.markdown/.txt).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

HERE = Path(__file__).resolve().parent
INK = (33, 37, 41)
GRID = (222, 226, 230)
BLUE = (31, 97, 141)
GREEN = (40, 140, 90)
ORANGE = (214, 120, 38)
RED = (190, 50, 60)


# Pillow's built-in font has no accented letters; DejaVu (Debian's fonts-dejavu) has them.
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "DejaVuSans.ttf")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for candidate in FONT_FILES:
        try:
            return ImageFont.truetype(candidate, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def axes(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], rows: int) -> None:
    left, top, right, bottom = box
    for i in range(rows + 1):
        y = bottom - (bottom - top) * i // rows
        draw.line([(left, y), (right, y)], fill=GRID, width=1)
    draw.line([(left, top), (left, bottom), (right, bottom)], fill=INK, width=2)


def compound_interest() -> None:
    """1 000 000 Ft over 30 years at 3%, 6% and 9% a year (the table of the article)."""
    width, height = 900, 520
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    box = (80, 60, 860, 460)
    axes(draw, box, 5)
    draw.text((80, 18), "1 millió Ft értéke 30 év alatt (millió Ft)", fill=INK, font=font(24))
    top_value = 15.0  # millió Ft
    for i in range(6):
        value = top_value * i / 5
        y = box[3] - (box[3] - box[1]) * i // 5
        draw.text((20, y - 9), f"{value:.0f}", fill=INK, font=font(16))
    for year in range(0, 31, 5):
        x = box[0] + (box[2] - box[0]) * year // 30
        draw.text((x - 8, box[3] + 10), str(year), fill=INK, font=font(16))
    for rate, colour in ((0.03, GREEN), (0.06, BLUE), (0.09, ORANGE)):
        points = []
        for year in range(31):
            value = (1 + rate) ** year
            x = box[0] + (box[2] - box[0]) * year / 30
            y = box[3] - (box[3] - box[1]) * value / top_value
            points.append((x, y))
        draw.line(points, fill=colour, width=4)
        draw.text(
            (points[-1][0] - 70, points[-1][1] - 28), f"{rate:.0%}", fill=colour, font=font(20)
        )
    draw.text((box[2] - 40, box[3] + 32), "év", fill=INK, font=font(16))
    image.save(HERE / "kamatos-kamat.png", optimize=True)


def inflation_bars() -> None:
    """Yearly consumer price change used in the savings article (rounded, illustrative)."""
    data = [("2019", 3.4), ("2020", 3.3), ("2021", 5.1), ("2022", 14.5), ("2023", 17.6)]
    data += [("2024", 3.7)]
    width, height = 800, 480
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    box = (70, 60, 770, 420)
    axes(draw, box, 4)
    draw.text((70, 16), "Éves infláció (%)", fill=INK, font=font(24))
    top = 20.0
    for i in range(5):
        y = box[3] - (box[3] - box[1]) * i // 4
        draw.text((30, y - 10), f"{top * i / 4:.0f}", fill=INK, font=font(16))
    slot = (box[2] - box[0]) / len(data)
    for index, (year, value) in enumerate(data):
        x0 = box[0] + slot * index + slot * 0.2
        x1 = box[0] + slot * (index + 1) - slot * 0.2
        y = box[3] - (box[3] - box[1]) * value / top
        draw.rectangle([x0, y, x1, box[3] - 1], fill=RED if value > 10 else BLUE)
        shown = f"{value:.1f}".replace(".", ",")  # Hungarian decimal comma
        draw.text((x0, y - 24), shown, fill=INK, font=font(18))
        draw.text((x0 + 8, box[3] + 10), year, fill=INK, font=font(18))
    image.save(HERE / "inflacio.png", optimize=True)


def portfolio_square() -> None:
    """A square pie chart: the 60/30/10 sample portfolio."""
    size = 600
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    slices = [("Részvény 60%", 60, BLUE), ("Kötvény 30%", 30, GREEN), ("Készpénz 10%", 10, ORANGE)]
    start = -90.0
    for _label, share, colour in slices:
        end = start + 360 * share / 100
        draw.pieslice([60, 40, 540, 520], start, end, fill=colour, outline="white", width=4)
        start = end
    y = 540  # the legend: one row under the chart
    for index, (label, _share, colour) in enumerate(slices):
        x = 40 + index * 190
        draw.rectangle([x, y + 8, x + 18, y + 26], fill=colour)
        draw.text((x + 26, y + 6), label, fill=INK, font=font(20))
    image.save(HERE / "portfolio.png", optimize=True)


def gradient_cover(top: tuple[int, int, int], bottom: tuple[int, int, int]) -> Image.Image:
    """A 1200×630 (social card sized) vertical gradient."""
    width, height = 1200, 630
    image = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / (height - 1)
        colour = tuple(round(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        draw.line([(0, y), (width, y)], fill=colour)
    return image


def datacenter_cover() -> None:
    """Rows of server racks with status lights."""
    image = gradient_cover((12, 24, 48), (30, 60, 100))
    draw = ImageDraw.Draw(image)
    for rack in range(9):
        x = 60 + rack * 125
        draw.rectangle([x, 150, x + 95, 560], fill=(20, 28, 40), outline=(80, 100, 130), width=3)
        for unit in range(14):
            y = 165 + unit * 28
            draw.rectangle([x + 10, y, x + 85, y + 18], fill=(38, 48, 64))
            lit = GREEN if (rack * 7 + unit * 3) % 5 else ORANGE
            draw.ellipse([x + 70, y + 5, x + 78, y + 13], fill=lit)
    draw.text((60, 60), "Adatközpontok és áram", fill="white", font=font(48))
    image.save(HERE / "adatkozpont.jpg", quality=80, optimize=True)


def chip_cover() -> None:
    """A stylised chip with its pins."""
    image = gradient_cover((40, 20, 60), (90, 40, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle([450, 165, 750, 465], fill=(30, 30, 34), outline=(200, 200, 210), width=4)
    for i in range(10):
        offset = 180 + i * 28
        draw.rectangle([offset + 270, 130, offset + 282, 165], fill=(210, 180, 90))
        draw.rectangle([offset + 270, 465, offset + 282, 500], fill=(210, 180, 90))
        draw.rectangle([415, offset - 15, 450, offset - 3], fill=(210, 180, 90))
        draw.rectangle([750, offset - 15, 785, offset - 3], fill=(210, 180, 90))
    draw.text((520, 295), "3 nm", fill="white", font=font(56))
    image.save(HERE / "chip.jpg", quality=80, optimize=True)


if __name__ == "__main__":
    compound_interest()
    inflation_bars()
    portfolio_square()
    datacenter_cover()
    chip_cover()
    for path in sorted(HERE.glob("*.[pj][np]g")):
        print(f"{path.name}: {path.stat().st_size / 1024:.1f} KB")
