"""tok/s/GPU (log) against tok/s/user for a few systems, with the chosen point marked.

The legend is not drawn by plotext (it sits inside the canvas and covered the chosen point at
wide sizes): `show` returns (label, colour, marker) entries for a legend outside the plot.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

COLOURS = ("cyan", "green", "magenta", "yellow", "blue")
"""Series colours, in plotext and rich names alike."""
CHOSEN_COLOUR = "red"


class ParetoPlot(PlotextPlot):
    """Pareto fronts from api.frontier; `show` redraws and returns the legend entries."""

    def show(self, fronts: dict, chosen: tuple[str, float, float] | None,
             title: str = "") -> list[tuple[str, str, str]]:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title or "Pareto front")
        plt.xlabel("tok/s/user")
        plt.ylabel("tok/s/GPU")
        plt.yscale("log")
        legend: list[tuple[str, str, str]] = []
        for i, (sys_id, points) in enumerate(fronts.items()):
            pts = sorted((p.tok_s_per_user, p.total_tok_s_per_gpu) for p in points if p.total_tok_s_per_gpu > 0)
            if pts:
                colour = COLOURS[i % len(COLOURS)]
                plt.plot([x for x, _ in pts], [y for _, y in pts], marker="braille", color=colour)
                legend.append((sys_id, colour, "━"))
        if chosen is not None:
            label, x, y = chosen
            plt.scatter([x], [y], marker="X", color=CHOSEN_COLOUR)  # drawn last: on top of the fronts
            legend.append((f"chosen ({label})", CHOSEN_COLOUR, "X"))
        self.refresh()
        return legend

    def show_message(self, text: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(text)
        self.refresh()
