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
        Assert.Equal(WallTileModel.StateWord(state), tile.Find("[data-testid=wall-state]").TextContent);
        Assert.Equal(health.ToString(), tile.Find("[data-testid=wall-health]").TextContent);
        Assert.Equal("42 ms · checked 10 s ago", tile.Find("[data-testid=wall-health-detail]").TextContent);
        // Quarantine wins the colour (blue stripes); otherwise the health decides it.
        var tone = state == EnvironmentState.Quarantined ? "tone-quarantined" : "tone-" + health.ToString().ToLowerInvariant();
        Assert.Contains(tone, article.ClassList);
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
    [InlineData(2, "Fresh", "last heartbeat 2 min ago", "tone-healthy")]
    [InlineData(6, "Ageing", "last heartbeat 6 min ago", "tone-healthy")]
    [InlineData(11, "Stale", "No heartbeat for 11 min", "tone-stale")]
    public void The_heartbeat_age_turns_amber_near_the_hang_timeout_and_the_tile_grey_past_it(int minutesAgo, string level, string text, string tone)
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
}
