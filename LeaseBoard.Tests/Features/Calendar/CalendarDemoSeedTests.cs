using LeaseBoard.Features.Calendar;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace LeaseBoard.Tests.Features.Calendar;

/// <summary>The Development demo reservations behind the calendar's first impression.</summary>
public sealed class CalendarDemoSeedTests
{
    [Fact]
    public async Task Calendar_demo_seed_books_through_the_booking_rules_some_starting_now_and_only_into_an_empty_table()
    {
        await using var h = await BookingHarness.CreateAsync();

        var first = await DemoSeed.SeedAsync(h.Database, h.Service, h.Queries, h.Clock, h.Options, CancellationToken.None);
        var second = await DemoSeed.SeedAsync(h.Database, h.Service, h.Queries, h.Clock, h.Options, CancellationToken.None);

        Assert.Equal((8, 0), (first, second));
        var rows = await h.Queries.BetweenAsync(DateTime.MinValue, DateTime.MaxValue);
        Assert.Equal(8, rows.Count);
        Assert.Equal(2, rows.Count(r => r.StartUtc == h.At(9))); // "now", on the grid
        Assert.All(rows, r => Assert.True(r.EndUtc <= h.Now.AddDays(2), $"{r.Title} ends after the next two days"));
        Assert.Equal(3, rows.Select(r => r.OwnerId).Distinct().Count());
    }

    [Theory]
    [InlineData("Development", null, true)]
    [InlineData("Production", null, false)]
    [InlineData("Development", "false", false)]
    [InlineData("Production", "true", true)]
    public void Calendar_demo_seed_runs_in_Development_unless_the_setting_says_otherwise(string environment, string? enabled, bool expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["LeaseBoard:DemoData:Enabled"] = enabled }).Build();

        Assert.Equal(expected, DemoSeed.IsEnabled(configuration, new Host(environment)));
    }

    private sealed class Host(string name) : IHostEnvironment
    {
        public string EnvironmentName { get; set; } = name;
        public string ApplicationName { get; set; } = "LeaseBoard";
        public string ContentRootPath { get; set; } = "";
        public Microsoft.Extensions.FileProviders.IFileProvider ContentRootFileProvider { get; set; } = null!;
    }
}
