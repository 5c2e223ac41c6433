using LeaseBoard.Domain;
using LeaseBoard.Features.Wall;

namespace LeaseBoard.Tests.Features.Wall;

public sealed class WallSummaryTests
{
    private static WallTileModel Tile(string name, EnvironmentState state, HealthStatus health = HealthStatus.Healthy, WallSeverity? severity = null) => new()
    {
        Key = name, Name = name, State = state, Health = health, StateText = "", HealthText = "", HealthDetail = "",
        Severity = severity ?? WallSeverities.Of(state, health, state == EnvironmentState.Leased, hung: false, needsAttention: false),
    };

    [Fact]
    public void The_banner_names_hung_runs_first_then_what_needs_attention_and_does_not_count_a_hung_run_as_running()
    {
        var summary = WallSummary.From([
            Tile("Env 1", EnvironmentState.Available), Tile("Env 2", EnvironmentState.Leased), Tile("Env 3", EnvironmentState.Leased, severity: WallSeverity.Hung),
            Tile("Env 4", EnvironmentState.Leased), Tile("Env 5", EnvironmentState.Quarantined, severity: WallSeverity.Attention),
            Tile("Env 6", EnvironmentState.Available),
        ]);

        Assert.Equal("1 HUNG · Env 3 — 1 needs attention · Env 5 — 2 free · 2 running", summary.Text);
        Assert.Equal("alarm", summary.Tone);
    }

    [Fact]
    public void Two_hung_runs_are_both_named_and_nothing_else_is_counted_twice()
    {
        var summary = WallSummary.From([
            Tile("Env 1", EnvironmentState.Leased, HealthStatus.Degraded, WallSeverity.Hung), Tile("Env 2", EnvironmentState.Leased, severity: WallSeverity.Hung),
            Tile("Env 3", EnvironmentState.Quarantined, HealthStatus.Unhealthy),
        ]);

        Assert.Equal("2 HUNG · Env 1 · Env 2 — 0 free · 0 running · 1 quarantined", summary.Text);
        Assert.Equal("alarm", summary.Tone);
    }

    [Fact]
    public void The_banner_counts_free_running_and_quarantined_environments()
    {
        var summary = WallSummary.From([
            Tile("Env 1", EnvironmentState.Available), Tile("Env 2", EnvironmentState.Available), Tile("Env 3", EnvironmentState.Available),
            Tile("Env 4", EnvironmentState.Leased), Tile("Env 5", EnvironmentState.Quarantined, HealthStatus.Unhealthy),
        ]);

        Assert.Equal("3 free · 1 running · 1 quarantined", summary.Text);
        Assert.Equal("bad", summary.Tone);
    }

    [Fact]
    public void The_banner_names_sick_environments_and_cleanups_and_is_green_when_all_is_well()
    {
        var sick = WallSummary.From([Tile("Env 1", EnvironmentState.CleaningUp), Tile("Env 2", EnvironmentState.Available, HealthStatus.Degraded)]);
        Assert.Equal("1 free · 0 running · 1 cleaning up · Env 2 degraded", sick.Text);
        Assert.Equal("warn", sick.Tone);

        var well = WallSummary.From([Tile("Env 1", EnvironmentState.Available), Tile("Env 2", EnvironmentState.Leased)]);
        Assert.Equal("1 free · 1 running", well.Text);
        Assert.Equal("ok", well.Tone);
    }

    [Theory]
    [InlineData(1, 1, 1)]
    [InlineData(5, 3, 2)]
    [InlineData(8, 3, 3)]
    [InlineData(20, 5, 4)]
    [InlineData(40, 7, 6)]
    public void The_grid_fills_a_wide_screen(int tiles, int columns, int rows) =>
        Assert.Equal((columns, rows), WallGridLayout.For(tiles));

    [Fact]
    public void Ages_read_well_from_across_the_room()
    {
        Assert.Equal("10 s", WallTileModel.Age(TimeSpan.FromSeconds(12)));
        Assert.Equal("4 min", WallTileModel.Age(TimeSpan.FromSeconds(250)));
        Assert.Equal("2 h 05 min", WallTileModel.Age(TimeSpan.FromMinutes(125)));
        Assert.Equal("45 s", WallTileModel.Span(TimeSpan.FromSeconds(45)));
    }
}
