using Bunit;
using LeaseBoard.Domain;
using LeaseBoard.Features.Leases;
using LeaseBoard.Features.LiveUpdates;
using LeaseBoard.Features.Wall;
using LeaseBoard.Tests.TestSupport;
using Microsoft.AspNetCore.Components;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LeaseBoard.Tests.Features.Wall;

/// <summary>The wall page on a real database with the fake clock: the feed's coalescing timer runs when the clock is advanced.</summary>
public abstract class WallPageTestBase : ComponentTestBase
{
    public const string KioskKey = "kiosk-test-key";

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Services.AddSingleton<IOptionsMonitor<WallOptions>>(new StaticOptionsMonitor<WallOptions>(new WallOptions { KioskKey = KioskKey, HangTimeout = TimeSpan.FromMinutes(10) }));
        Services.AddSingleton<WallQueries>();
        Services.AddSingleton<WallFeed>();
    }

    protected IRenderedComponent<WallPage> RenderWall(string? key = null, string? query = null)
    {
        if (key is not null || query is not null)
            Services.GetRequiredService<NavigationManager>().NavigateTo(key is null ? $"wall?{query}" : $"wall?key={Uri.EscapeDataString(key)}&{query}");
        var wall = Render<WallPage>();
        wall.WaitForElements("[data-testid=wall-grid]");
        return wall;
    }
}

public sealed class WallPageTests : WallPageTestBase
{
    [Fact]
    public void The_wall_layout_carries_blazors_error_bar_so_a_failed_circuit_says_so_on_the_screen()
    {
        var layout = Render<WallLayout>(p => p.Add(l => l.Body, (RenderFragment)(b => b.AddContent(0, "tiles"))));

        var bar = layout.Find("#blazor-error-ui");
        Assert.Contains("The wall stopped updating", bar.TextContent);
        Assert.NotNull(bar.QuerySelector("a.reload"));
    }

    [Fact]
    public async Task A_tile_shows_its_environments_description_and_a_tile_without_one_shows_no_empty_line()
    {
        await using (var db = Database.CreateDbContext())
            await db.Environments.Where(e => e.Key == "env-3").ExecuteUpdateAsync(s => s.SetProperty(e => e.Description, "High memory, 64 GiB"));

        var wall = RenderWall();

        var description = wall.Find("[data-env=env-3] [data-testid=wall-description]");
        Assert.Equal("High memory, 64 GiB", description.TextContent);
        Assert.Contains("tile-description", description.ClassList); // the line small tiles drop first
        Assert.Empty(wall.FindAll("[data-env=env-1] [data-testid=wall-description]"));
    }

    [Fact]
    public async Task Five_environments_fill_three_columns_and_two_rows_with_a_counting_banner()
    {
        await using (var db = Database.CreateDbContext())
        {
            await db.Environments.Where(e => e.Key == "env-5").ExecuteUpdateAsync(s => s
                .SetProperty(e => e.State, EnvironmentState.Quarantined).SetProperty(e => e.QuarantineReason, "Flaky network"));
            await db.Environments.Where(e => e.Key == "env-4").ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.Leased));
        }
        await new ReservationBuilder(Env(4).Id, Now.AddMinutes(-10), Now.AddMinutes(50)).InState(ReservationState.Active).Titled("Checkout load").SaveAsync(Database);

        var wall = RenderWall();

        Assert.Equal(5, wall.FindAll("[data-testid=wall-tile]").Count);
        var grid = wall.Find("[data-testid=wall-grid]");
        Assert.Equal(("3", "2"), (grid.GetAttribute("data-columns"), grid.GetAttribute("data-rows")));
        Assert.Equal("3 free · 1 running · 1 quarantined", wall.Find("[data-testid=wall-summary]").TextContent);
        Assert.Contains("50 min left", wall.Find("[data-env=env-4]").TextContent);
        Assert.Equal("09:02", wall.Find("[data-testid=wall-clock]").TextContent);
    }

    [Fact]
    public async Task A_quarantine_published_on_the_board_changes_only_that_tile_after_the_coalescing_window()
    {
        var wall = RenderWall();
        var untouched = wall.FindComponents<WallTile>().Single(t => t.Instance.Model.Key == "env-1");
        var rendersBefore = untouched.RenderCount;
        var events = Services.GetRequiredService<BoardEvents>();

        await using (var db = Database.CreateDbContext())
            await db.Environments.Where(e => e.Key == "env-3").ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.Quarantined));
        // A burst: three events for the tile within the window make one reload.
        var feed = Services.GetRequiredService<WallFeed>();
        var reloads = feed.Reloads;
        for (var i = 0; i < 3; i++)
            events.Publish(new EnvironmentChanged(Env(3).Id, "env-3", EnvironmentState.Quarantined, HealthStatus.Healthy));
        Clock.Advance(WallFeed.CoalesceWindow);

        wall.WaitForAssertion(() => Assert.Equal("Quarantined", wall.Find("[data-env=env-3]").GetAttribute("data-state")));
        Assert.Equal(reloads + 1, feed.Reloads);
        Assert.Equal(rendersBefore, untouched.RenderCount);
        Assert.Equal("4 free · 0 running · 1 quarantined", wall.Find("[data-testid=wall-summary]").TextContent);
    }

    [Fact]
    public void The_kiosk_key_opens_the_wall_without_sign_in_and_a_wrong_key_is_refused()
    {
        Auth.SetNotAuthorized();
        var kiosk = RenderWall(KioskKey);
        Assert.Equal(5, kiosk.FindAll("[data-testid=wall-tile]").Count);

        Services.GetRequiredService<NavigationManager>().NavigateTo("wall?key=guess");
        var refused = Render<WallPage>();
        Assert.Empty(refused.FindAll("[data-testid=wall-tile]"));
        Assert.Contains("not valid", refused.Find("[data-testid=wall-refused]").TextContent);

        Services.GetRequiredService<NavigationManager>().NavigateTo("wall");
        var anonymous = Render<WallPage>();
        Assert.Empty(anonymous.FindAll("[data-testid=wall-tile]"));
    }
}

public sealed class WallScreenTests : WallPageTestBase
{
    [Fact]
    public void The_envs_address_shows_only_those_environments_in_its_order_and_the_banner_counts_only_them()
    {
        var wall = RenderWall(query: "envs=env-4,ENV-2");

        Assert.Equal(["env-4", "env-2"], wall.FindAll("[data-testid=wall-tile]").Select(t => t.GetAttribute("data-env")));
        Assert.Equal("2 free · 0 running", wall.Find("[data-testid=wall-summary]").TextContent);
        Assert.Empty(wall.FindAll("[data-testid=wall-unknown-envs]"));
    }

    [Fact]
    public void Unknown_environment_ids_are_named_in_place_next_to_the_known_ones_not_an_error_page()
    {
        var wall = RenderWall(query: "envs=env-1,env-99,lab-x");

        Assert.Equal(["env-1"], wall.FindAll("[data-testid=wall-tile]").Select(t => t.GetAttribute("data-env")));
        var message = wall.Find("[data-testid=wall-unknown-envs]").TextContent;
        Assert.Contains("env-99, lab-x", message);
        Assert.Contains("Known: env-1, env-2, env-3, env-4, env-5", message);
    }

    [Fact]
    public void A_screen_asking_only_for_unknown_ids_says_so_and_not_that_nothing_is_configured()
    {
        var wall = RenderWall(query: "envs=env-42");

        Assert.Empty(wall.FindAll("[data-testid=wall-tile]"));
        Assert.Contains("No environment is called env-42", wall.Find("[data-testid=wall-unknown-envs]").TextContent);
        Assert.DoesNotContain("No environments are configured", wall.Markup);
    }

    [Theory]
    [InlineData("cols=2", "2", "3", "m")]
    [InlineData("cols=99&size=l", "5", "1", "l")] // at most 12, and never more columns than tiles
    [InlineData("cols=0&size=S", "1", "5", "s")]
    [InlineData("cols=abc&size=huge", "3", "2", "m")] // unreadable: the default fit
    public void Cols_and_size_choose_this_screens_grid_and_the_kiosk_key_still_opens_it(string query, string columns, string rows, string size)
    {
        Auth.SetNotAuthorized();
        var wall = RenderWall(KioskKey, query);

        var grid = wall.Find("[data-testid=wall-grid]");
        Assert.Equal((columns, rows, size), (grid.GetAttribute("data-columns"), grid.GetAttribute("data-rows"), grid.GetAttribute("data-size")));
        Assert.Contains($"size-{size}", grid.ClassList);
        Assert.Equal(5, wall.FindAll("[data-testid=wall-tile]").Count);
    }

    [Fact]
    public async Task A_hung_run_is_named_first_in_the_banner_and_not_counted_as_running()
    {
        await using (var db = Database.CreateDbContext())
            await db.Environments.Where(e => e.Key == "env-3" || e.Key == "env-4").ExecuteUpdateAsync(s => s.SetProperty(e => e.State, EnvironmentState.Leased));
        var hung = await new ReservationBuilder(Env(3).Id, Now.AddMinutes(-40), Now.AddMinutes(20)).InState(ReservationState.Active).Titled("Soak").SaveAsync(Database);
        await new ReservationBuilder(Env(4).Id, Now.AddMinutes(-10), Now.AddMinutes(50)).InState(ReservationState.Active).Titled("Load").SaveAsync(Database);
        await using (var db = Database.CreateDbContext())
        {
            db.TestRuns.Add(new TestRun { ReservationId = hung.Id, EnvironmentId = Env(3).Id, State = TestRunState.Running, StartedUtc = Now.AddMinutes(-40),
                LastHeartbeatUtc = Now.AddMinutes(-12), FencingToken = 1 });
            await db.SaveChangesAsync();
        }

        var wall = RenderWall();

        Assert.Equal("1 HUNG · Env 3 — 3 free · 1 running", wall.Find("[data-testid=wall-summary]").TextContent);
        Assert.Contains("tone-alarm", wall.Find("[data-testid=wall-banner]").ClassList);
        Assert.Equal("Hung", wall.Find("[data-env=env-3]").GetAttribute("data-severity"));
        Assert.Equal("Leased", wall.Find("[data-env=env-4]").GetAttribute("data-severity"));
    }
}

public sealed class WallPageDenseTests : WallPageTestBase
{
    protected override int EnvironmentCount => 20;

    [Fact]
    public void Twenty_environments_make_a_dense_five_by_four_grid()
    {
        var wall = RenderWall();

        Assert.Equal(20, wall.FindAll("[data-testid=wall-tile]").Count);
        var grid = wall.Find("[data-testid=wall-grid]");
        Assert.Equal(("5", "4"), (grid.GetAttribute("data-columns"), grid.GetAttribute("data-rows")));
        Assert.Contains("dense", grid.ClassList);
        Assert.Contains("repeat(5, minmax(0, 1fr))", grid.GetAttribute("style"));
        Assert.Equal("20 free · 0 running", wall.Find("[data-testid=wall-summary]").TextContent);
    }

    [Fact]
    public async Task The_banner_shows_the_queue_length_and_a_queued_test_published_on_the_board_updates_it()
    {
        var wall = RenderWall();
        Assert.Equal("queue empty", wall.Find("[data-testid=wall-queue]").TextContent);

        var entry = new QueueEntry { OwnerId = "local:ana", OwnerName = "Ana", Title = "Nightly soak", Duration = TimeSpan.FromMinutes(30), CreatedUtc = Now, UpdatedUtc = Now };
        await using (var db = Database.CreateDbContext())
        {
            db.QueueEntries.AddRange(entry, new QueueEntry { OwnerId = "local:ben", OwnerName = "Ben", Title = "Chaos", Duration = TimeSpan.FromMinutes(20), CreatedUtc = Now, UpdatedUtc = Now },
                new QueueEntry { OwnerId = "local:ben", OwnerName = "Ben", Title = "Done", Duration = TimeSpan.FromMinutes(20), CreatedUtc = Now, UpdatedUtc = Now, State = QueueEntryState.Placed });
            await db.SaveChangesAsync();
        }
        Services.GetRequiredService<BoardEvents>().Publish(new QueueChanged(entry.Id, entry.OwnerId, QueueEntryState.Waiting));
        Clock.Advance(WallFeed.CoalesceWindow);

        wall.WaitForAssertion(() => Assert.Equal("2 queued", wall.Find("[data-testid=wall-queue]").TextContent)); // the placed one no longer waits
    }
}
