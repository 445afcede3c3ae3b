# Joins the phases' loss logs into one CSV and draws it as an SVG (no plotting library needed). Reads the given
# loss.csv files; writes only the two output files.
#
#   python3 training/plot_loss.py training/runs/phase1/loss.csv training/runs/phase2/loss.csv --csv training/loss.csv --svg training/loss.svg

import argparse
import math
from pathlib import Path


def read(paths):
    rows = []
    for path in paths:
        lines = Path(path).read_text().strip().splitlines()[1:]
        rows += [tuple(float(v) for v in line.split(",")) for line in lines]
    return sorted(rows)


def svg(rows, width=640, height=360, margin=56):
    steps = [r[0] for r in rows]
    losses = [math.log10(r[2]) for r in rows]
    x0, x1 = 0, max(steps)
    y0, y1 = math.floor(min(losses) * 10) / 10, math.ceil(max(losses) * 10) / 10
    sx = lambda s: margin + (s - x0) / (x1 - x0) * (width - 1.5 * margin)
    sy = lambda l: height - margin - (l - y0) / (y1 - y0) * (height - 1.6 * margin)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
             f'<rect width="{width}" height="{height}" fill="white"/>']
    ticks = sorted({v * 10 ** e for e in range(math.floor(y0), math.ceil(y1) + 1) for v in (1, 2, 5) if y0 <= math.log10(v * 10 ** e) <= y1})
    for t in ticks:
        y = sy(math.log10(t))
        parts.append(f'<line x1="{margin}" x2="{width - margin / 2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        parts.append(f'<text x="{margin - 6}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
    for s in range(0, int(x1) + 1, 2000):
        x = sx(s)
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{sy(y0):.1f}" y2="{sy(y1):.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - margin + 18}" text-anchor="middle">{s // 1000}k</text>')
    points = " ".join(f"{sx(s):.1f},{sy(l):.1f}" for s, l in zip(steps, losses))
    parts.append(f'<polyline points="{points}" fill="none" stroke="#d33" stroke-width="1.5"/>')
    parts.append(f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">training step (batch 256)</text>')
    parts.append(f'<text x="16" y="{height / 2}" text-anchor="middle" transform="rotate(-90 16 {height / 2})">flow-matching MSE (log scale)</text>')
    parts.append(f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="14">Built-in emoji model: training loss (mean of each 100 steps)</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("logs", nargs="+")
    p.add_argument("--csv", required=True)
    p.add_argument("--svg", required=True)
    args = p.parse_args()
    rows = read(args.logs)
    Path(args.csv).write_text("step,seconds,loss,lr\n" + "".join(f"{int(s)},{t:.1f},{l:.5f},{lr:.6f}\n" for s, t, l, lr in rows))
    Path(args.svg).write_text(svg(rows))


if __name__ == "__main__":
    main()
