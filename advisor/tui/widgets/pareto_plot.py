"""tok/s/GPU (log) against tok/s/user for a few systems, with the chosen point marked."""

from __future__ import annotations

from textual_plotext import PlotextPlot


class ParetoPlot(PlotextPlot):
    """Pareto fronts from api.frontier; `show` redraws."""

    def show(self, fronts: dict, chosen: tuple[str, float, float] | None, title: str = "") -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(title or "Pareto front")
        plt.xlabel("tok/s/user")
        plt.ylabel("tok/s/GPU")
        plt.yscale("log")
        for sys_id, points in fronts.items():
            pts = sorted((p.tok_s_per_user, p.total_tok_s_per_gpu) for p in points if p.total_tok_s_per_gpu > 0)
            if pts:
                plt.plot([x for x, _ in pts], [y for _, y in pts], label=sys_id, marker="braille")
        if chosen is not None:
            label, x, y = chosen
            plt.scatter([x], [y], label=f"chosen ({label})", marker="X", color="red")
        self.refresh()

    def show_message(self, text: str) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(text)
        self.refresh()
