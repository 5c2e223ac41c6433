using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Wall;
using LeaseBoard.Tests.TestSupport;

namespace LeaseBoard.Tests.Features.Wall;

/// <summary>One tile, from data and a fake clock to what the TV shows.</summary>
public sealed class WallTileTests : ComponentTestBase
{
    private static readonly TimeSpan Hang = TimeSpan.FromMinutes(10);

    private static WallEnvironment Environment(EnvironmentState state = EnvironmentState.Available, HealthStatus health = HealthStatus.Healthy,
        WallLease? lease = null, DateTime? checkedUtc = null, string? reason = null, WallNext? next = null, IReadOnlyList<WallSample>? samples = null,
        string description = "") =>
        new(1, "env-1", "Env 1", description, state, null, health, checkedUtc, checkedUtc is null ? null : 42, reason, lease, next, samples ?? []);

    private WallLease Lease(int progress = 40, DateTime? heartbeat = null) =>
        new(7, "Checkout soak", "Ana", TestKind.Soak, At(9, 0), At(11, 0), ReservationState.Active, TestRunState.Running, progress, At(9, 0), heartbeat ?? Now);

    private IRenderedComponent<WallTile> Tile(WallEnvironment environment) =>
        Render<WallTile>(p => p.Add(t => t.Model, WallTileModel.From(environment, Now, Hang, TimeZoneInfo.Utc)));

    public static TheoryData<EnvironmentState, HealthStatus> Combinations()
    {
        var data = new TheoryData<EnvironmentState, HealthStatus>();
        foreach (var state in new[] { EnvironmentState.Available, EnvironmentState.Leased, EnvironmentState.CleaningUp, EnvironmentState.Quarantined })
            foreach (var health in Enum.GetValues<HealthStatus>())
                data.Add(state, health);
        return data;
    }

    [Theory]
    [MemberData(nameof(Combinations))]
    public void Every_state_and_health_is_written_out_marked_in_attributes_and_coloured_by_meaning(EnvironmentState state, HealthStatus health)
    {
        var lease = state == EnvironmentState.Leased ? Lease() : null;
        var tile = Tile(Environment(state, health, lease, checkedUtc: Now.AddSeconds(-12), reason: state == EnvironmentState.Quarantined ? "Disk full" : null));

        var article = tile.Find("[data-testid=wall-tile]");
        Assert.Equal(state.ToString(), article.GetAttribute("data-state"));
        Assert.Equal(health.ToString(), article.GetAttribute("data-health"));
        Assert.Equal("env-1", article.GetAttribute("data-env"));
        var severity = WallSeverities.Of(state, health, leased: lease is not null, hung: false, needsAttention: false);
        Assert.Equal(WallSeverities.WordOf(severity), tile.Find("[data-testid=wall-state]").TextContent);
        Assert.Equal(severity.ToString(), article.GetAttribute("data-severity"));
        Assert.Equal(health.ToString(), tile.Find("[data-testid=wall-health]").TextContent);
        Assert.Equal("42 ms · checked 10 s ago", tile.Find("[data-testid=wall-health-detail]").TextContent);
        // The severity decides the colour: one class and the palette's colours as custom properties.
        Assert.Contains("sev-" + severity.ToString().ToLowerInvariant(), article.ClassList);
        Assert.Contains($"--tile-bg: {WallSeverities.ColoursOf(severity).Background}", article.GetAttribute("style"));
        Assert.Equal(state == EnvironmentState.Leased, tile.FindAll("[data-testid=wall-remaining]").Count == 1);
        Assert.Equal(state == EnvironmentState.Quarantined, tile.FindAll("[data-testid=wall-quarantine-reason]").Count == 1);
    }

    [Fact]
    public void A_leased_tile_shows_title_owner_kind_progress_elapsed_and_time_left_from_the_clock()
    {
        Clock.SetUtcNow(new DateTimeOffset(At(10, 30)));
        var tile = Tile(Environment(EnvironmentState.Leased, lease: Lease(progress: 75)));

        Assert.Equal("Checkout soak", tile.Find("[data-testid=wall-lease-title]").TextContent);
        Assert.Equal("Ana · Soak test · 75%", tile.Find("[data-testid=wall-lease-owner]").TextContent);
        Assert.Equal("30 min left", tile.Find("[data-testid=wall-remaining]").TextContent);
        Assert.Equal("1 h 30 min elapsed", tile.Find("[data-testid=wall-elapsed]").TextContent);
        var fill = tile.Find("[data-testid=wall-progress]");
        Assert.Equal("75", fill.GetAttribute("data-progress"));
        Assert.Contains("width: 75%", fill.GetAttribute("style"));

        Clock.Advance(TimeSpan.FromMinutes(31));
        var later = Tile(Environment(EnvironmentState.Leased, lease: Lease(progress: 75, heartbeat: Now)));
        Assert.Equal("overtime", later.Find("[data-testid=wall-remaining]").TextContent);
    }

    [Theory]
    [InlineData(2, "Fresh", "last heartbeat 2 min ago", "sev-leased")]
    [InlineData(6, "Ageing", "last heartbeat 6 min ago", "sev-leased")]
    [InlineData(11, "Stale", "No heartbeat for 11 min", "sev-hung")]
    public void The_heartbeat_age_turns_amber_near_the_hang_timeout_and_the_tile_hung_red_past_it(int minutesAgo, string level, string text, string tone)
    {
        var tile = Tile(Environment(EnvironmentState.Leased, lease: Lease(heartbeat: Now.AddMinutes(-minutesAgo))));

        var heartbeat = tile.Find("[data-testid=wall-heartbeat]");
        Assert.Equal(text, heartbeat.TextContent);
        Assert.Contains("heartbeat-" + level.ToLowerInvariant(), heartbeat.ClassList);
        var article = tile.Find("[data-testid=wall-tile]");
        Assert.Equal(level, article.GetAttribute("data-heartbeat"));
        Assert.Contains(tone, article.ClassList);
    }

    [Fact]
    public void Next_reservation_quarantine_reason_and_an_hour_of_latency_are_shown()
    {
        var samples = Enumerable.Range(0, 6).Select(i => new WallSample(Now.AddMinutes(-50 + i * 10), HealthStatus.Healthy, 20 + i * 10)).ToList();
        var tile = Tile(Environment(EnvironmentState.Quarantined, reason: "Disk full on node 2", next: new WallNext("Nightly chaos", "Ben", At(14, 0)),
            samples: samples));

        Assert.Equal("Disk full on node 2", tile.Find("[data-testid=wall-quarantine-reason]").TextContent);
        Assert.Equal("Next: Ben · Nightly chaos · 14:00", tile.Find("[data-testid=wall-next]").TextContent);
        var points = tile.Find("[data-testid=wall-sparkline] polyline").GetAttribute("points")!.Split(' ');
        Assert.Equal(6, points.Length);
        Assert.Equal("100,1", points[^1]); // now, at the highest latency: the right edge, the top
        Assert.Contains("max 70 ms", tile.Find("[data-testid=wall-sparkline] title").TextContent);
        Assert.Equal("never checked", tile.Find("[data-testid=wall-health-detail]").TextContent);
    }

    [Fact]
    public void The_description_follows_the_name_and_on_a_leased_tile_it_is_the_line_that_makes_room_first()
    {
        var free = Tile(Environment(description: "High memory, 64 GiB"));
        var leased = Tile(Environment(EnvironmentState.Leased, lease: Lease(), description: "High memory, 64 GiB"));

        var description = free.Find("[data-testid=wall-description]");
        Assert.Equal("High memory, 64 GiB", description.TextContent);
        Assert.Equal("tile-name", description.PreviousElementSibling!.ClassName);
        Assert.DoesNotContain("with-lease", description.ClassList);
        Assert.Contains("with-lease", leased.Find("[data-testid=wall-description]").ClassList); // hidden first on smaller tiles (WallTile.razor.css)
    }

    [Fact]
    public void A_tile_renders_again_only_when_what_it_shows_changes()
    {
        var model = WallTileModel.From(Environment(), Now, Hang, TimeZoneInfo.Utc);
        var tile = Render<WallTile>(p => p.Add(t => t.Model, model));
        Assert.Equal(1, tile.RenderCount);

        tile.Render(p => p.Add(t => t.Model, model with { }));
        Assert.Equal(1, tile.RenderCount);

        tile.Render(p => p.Add(t => t.Model, model with { State = EnvironmentState.Leased, StateText = "Leased" }));
        Assert.Equal(2, tile.RenderCount);
        Assert.Equal("Leased", tile.Find("[data-testid=wall-state]").TextContent);
    }

    [Fact]
    public void A_run_without_a_heartbeat_past_the_hang_timeout_says_HUNG_in_the_attention_red_and_is_not_leased_calm()
    {
        var tile = Tile(Environment(EnvironmentState.Leased, lease: Lease(heartbeat: Now.AddMinutes(-11))));

        var article = tile.Find("[data-testid=wall-tile]");
        Assert.Equal("Hung", article.GetAttribute("data-severity"));
        Assert.Equal("Hung", tile.Find("[data-testid=wall-state]").TextContent); // written in capitals by the tile's CSS
        Assert.NotNull(tile.Find("[data-testid=wall-state-icon] path"));
        Assert.Contains("sev-hung", article.ClassList);
        Assert.Contains($"--tile-bg: {LeaseBoard.Features.Environments.EnvironmentStateStyle.Attention.Background}", article.GetAttribute("style"));
        Assert.Equal("No heartbeat for 11 min", tile.Find("[data-testid=wall-heartbeat]").TextContent);
        Assert.Equal("No beat 11 min", tile.Find("[data-testid=wall-heartbeat-short]").TextContent);
    }

    [Fact]
    public void A_run_the_engine_is_stopping_as_hung_stays_HUNG_while_the_framework_still_answers()
    {
        var stopping = Lease() with { RunState = TestRunState.Stopping, StopReason = RunStopReason.Hung };
        var released = Lease() with { RunState = TestRunState.Stopping, StopReason = RunStopReason.Released };

        Assert.Equal("Hung", Tile(Environment(EnvironmentState.Leased, lease: stopping)).Find("[data-testid=wall-state]").TextContent);
        Assert.Equal("Leased", Tile(Environment(EnvironmentState.Leased, lease: released)).Find("[data-testid=wall-state]").TextContent);
    }

    [Fact]
    public void An_environment_quarantined_because_a_stop_failed_needs_attention_and_says_why()
    {
        var reason = $"{TestEnvironment.NeedsAttentionPrefix} Run sim-7 could not be stopped.";
        var tile = Tile(Environment(EnvironmentState.Quarantined, HealthStatus.Unknown, reason: reason));

        Assert.Equal("Attention", tile.Find("[data-testid=wall-state]").TextContent);
        Assert.Contains("sev-attention", tile.Find("[data-testid=wall-tile]").ClassList);
        Assert.Equal(reason, tile.Find("[data-testid=wall-quarantine-reason]").TextContent);
    }

    [Fact]
    public void An_idle_unhealthy_environment_that_was_auto_quarantined_is_unhealthy_red_not_calm_blue()
    {
        var tile = Tile(Environment(EnvironmentState.Quarantined, HealthStatus.Unhealthy, reason: "Unhealthy: 3 health checks in a row failed"));

        var article = tile.Find("[data-testid=wall-tile]");
        Assert.Equal("Unhealthy", tile.Find("[data-testid=wall-state]").TextContent);
        Assert.Contains("sev-unhealthy", article.ClassList);
        Assert.Equal("Quarantined", article.GetAttribute("data-state"));
        Assert.Equal("Unhealthy: 3 health checks in a row failed", tile.Find("[data-testid=wall-quarantine-reason]").TextContent);
    }
}
