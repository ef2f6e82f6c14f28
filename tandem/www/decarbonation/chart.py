"""The trajectory chart as SVG coordinates (presentation only: the figures come from
`tandem.decarbonation.selectors.trajectory`). No script, no inline style: Content-Security-Policy."""

from __future__ import annotations

WIDTH, HEIGHT, LEFT, BOTTOM, TOP, RIGHT = 720, 300, 70, 30, 12, 12


def trajectory_chart(t) -> dict:
    """Polylines (measured, target, projected) and axis ticks in SVG user units."""
    series = {"mesure": t.measured, "cible": t.target, "projete": t.projected}
    values = [v for s in series.values() for v in s.values()]
    years = t.years
    if not values or len(years) < 2:
        return {}
    top = max(values) * 1.05 or 1.0
    low = min(0.0, min(values))

    def x(year):
        return LEFT + (year - years[0]) / (years[-1] - years[0]) * (WIDTH - LEFT - RIGHT)

    def y(value):
        return TOP + (top - value) / (top - low) * (HEIGHT - TOP - BOTTOM)

    def points(data):
        return " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in sorted(data.items()))

    step = max(1, round(len(years) / 8))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "lines": {name: points(data) for name, data in series.items() if data},
        "x_ticks": [{"x": round(x(k), 1), "label": k} for k in years[::step]],
        "y_ticks": [{"y": round(y(top * i / 4), 1), "label": top * i / 4 / 1000} for i in range(5)],
        "axis_y": HEIGHT - BOTTOM,
        "left": LEFT,
        "right": WIDTH - RIGHT,
    }
