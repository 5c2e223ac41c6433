using LeaseBoard.Features.Framework;
using LeaseBoard.Features.Tokens;
using LeaseBoard.Tests.TestSupport;
using Microsoft.EntityFrameworkCore;
using Xunit.Abstractions;

namespace LeaseBoard.Tests.Features.Api;

/// <summary>The built app, started as a process, warms its API over its own loopback address before it says it is ready.</summary>
public sealed class WarmUpOverHttpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_started_app_rehearses_every_round_over_HTTP_before_ready_and_stores_nothing()
    {
        await using var app = CrashTestApp.Create(FrameworkDriver.Simulated, output);
        var started = await app.StartAsync("warm-up");

        await Eventually.TrueAsync(() => started.LogTail(200).Contains("Booking path warm", StringComparison.Ordinal), TimeSpan.FromSeconds(10),
            "the warm-up's line in the log");
        Assert.True(started.LogTail(200).Contains("(3 rounds in process, 3 over HTTP,", StringComparison.Ordinal),
            started.Describe("Every warm-up round should answer over HTTP as expected (201 for the rehearsal, 422 for the refusal)"));
        Assert.DoesNotContain("Warming over HTTP", started.LogTail(200), StringComparison.Ordinal);
        Assert.False(await app.QueryAsync(db => db.Reservations.AnyAsync(r => r.OwnerId == WarmUpToken.CallerId)));
        Assert.False(await app.QueryAsync(db => db.AuditEntries.AnyAsync(a => a.Actor == WarmUpToken.CallerId)));
    }
}
