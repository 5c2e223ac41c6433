using System.Diagnostics;
using LeaseBoard.Domain;
using LeaseBoard.Features.Booking;
using LeaseBoard.Tests.Browser;
using LeaseBoard.Tests.TestSupport;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Benchmarks;

/// <summary>From another user's booking (made on the server) to its block in an open calendar in Chromium, 20 times.</summary>
[Trait("Category", "Benchmark")]
[Collection(SharedAppCollection.Name)]
public sealed class CalendarLiveBenchmark(SharedAppFixture app, ITestOutputHelper output)
{
    [BenchmarkFact]
    public async Task Calendar_time_from_another_users_booking_to_its_block_in_a_second_browser()
    {
        await using var chromium = await Chromium.LaunchAsync();
        var flows = new CalendarFlowTests(app);
        var (context, page) = await flows.OpenCalendarAsync(chromium, "Ivy Watcher");
        await using var _ = context;
        var booking = app.Services.GetRequiredService<BookingService>();
        var environments = await app.Services.GetRequiredService<ReservationQueries>().EnvironmentsAsync();
        var times = new List<double>();
        for (var i = 0; i < 20; i++)
        {
            // Four lanes x five 20-minute slots from 20:00 tomorrow (Berlin), 30 minutes apart (the buffer fits between).
            var lane = $"env-{2 + i % 4}";
            var start = CalendarFlowTests.TomorrowUtc(20).AddMinutes(30 * (i / 4));
            var title = $"Live bench {i} {CalendarFlowTests.Unique()}";
            var who = new Actor($"local:bench-{i}", $"Bench {i}", IsAdmin: false);
            var clock = Stopwatch.StartNew();
            var result = await booking.BookAsync(new BookingRequest(environments.Single(e => e.Key == lane).Id, start, TimeSpan.FromMinutes(20), title, TestKind.Load, ""), who);
            Assert.True(result.Succeeded, result.Message);
            await CalendarFlowTests.Block(page, lane, title).WaitForAsync(new() { Timeout = 10_000 });
            times.Add(clock.Elapsed.TotalMilliseconds);
        }
        output.WriteLine($"Another user's booking (BookAsync on the server) to its block in a second browser's open calendar: {Figures.Summary(times, " ms")}");
    }
}
