using Hangfire.InMemory;
using Hangfire.Server;
using LeaseBoard.Features.Framework;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace LeaseBoard.Tests.Features.Framework;

/// <summary>The drivers' runs are known on one host only: a job server on a second host is refused at start-up.</summary>
public sealed class FrameworkHostCheckTests
{
    private static readonly DateTime Now = new(2026, 12, 3, 9, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_live_job_server_on_another_host_is_a_problem_and_one_on_this_host_or_long_gone_is_not()
    {
        Assert.Null(FrameworkHostCheck.Problem(FrameworkDriver.Process, [("lab-a:123:5c0f", Now.AddSeconds(-20)), ("LAB-A:99:77aa", Now)], "lab-a", Now));
        Assert.Null(FrameworkHostCheck.Problem(FrameworkDriver.Process, [("lab-b:5:1d2e", Now.AddMinutes(-10)), ("lab-c:6:1d2e", null)], "lab-a", Now));

        var problem = FrameworkHostCheck.Problem(FrameworkDriver.Process, [("lab-b:5:1d2e", Now.AddSeconds(-10)), ("lab-a:7:99ff", Now)], "lab-a", Now);

        Assert.Equal("LeaseBoard:Framework:Driver is Process, whose test runs are processes on the host that started them, but a job server on lab-b " +
                     "already runs on this database. Run every job server on one host, and set " +
                     "LeaseBoard:Leases:RunJobServer=false on instances elsewhere (they can still serve pages and the API).", problem);
        Assert.StartsWith("LeaseBoard:Framework:Driver is Simulated, whose runs are kept in a file on the host that started them",
            FrameworkHostCheck.Problem(FrameworkDriver.Simulated, [("lab-b:5:1d2e", Now)], "lab-a", Now));
    }

    [Theory]
    [InlineData(FrameworkDriver.Process)]
    [InlineData(FrameworkDriver.Simulated)]
    public async Task Start_up_is_refused_when_another_hosts_job_server_beats_again_while_it_waits(FrameworkDriver driver)
    {
        var clock = new FakeTimeProvider(Now);
        var heartbeat = Now.AddSeconds(-10);
        var starting = Check(() => [("other-lab-host:4242:0f3c", heartbeat)], driver, clock).StartAsync(CancellationToken.None);
        Assert.False(starting.IsCompleted, "a recent record of another host's server is looked at again before refusing");

        heartbeat = Now.AddSeconds(20); // its next beat
        await AdvanceUntilDoneAsync(clock, starting);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => starting);
        Assert.Contains("a job server on other-lab-host already runs on this database", refused.Message);
    }

    [Fact]
    public async Task Start_up_goes_ahead_once_another_hosts_server_record_goes_stale_as_a_killed_containers_does()
    {
        var clock = new FakeTimeProvider(Now);
        var heartbeat = Now.AddSeconds(-10);
        var starting = Check(() => [("replaced-container:1:aa11", heartbeat.AddMilliseconds(Random.Shared.Next(0, 500)))], FrameworkDriver.Process, clock)
            .StartAsync(CancellationToken.None); // a record read back with jitter is the same old beat

        await AdvanceUntilDoneAsync(clock, starting);

        await starting; // no exception: the silent record was a dead server
        Assert.InRange(clock.GetUtcNow().UtcDateTime - Now, FrameworkHostCheck.AliveWithin - TimeSpan.FromSeconds(15), FrameworkHostCheck.AliveWithin);
    }

    [Fact]
    public async Task On_a_real_job_storage_alone_or_beside_this_hosts_own_servers_start_up_goes_ahead_at_once()
    {
        using var storage = new InMemoryStorage();
        using (var connection = storage.GetConnection())
            connection.AnnounceServer($"{Environment.MachineName}:77:0f3c", new ServerContext { Queues = ["default"], WorkerCount = 4 });

        var check = new FrameworkHostCheck(storage, Options.Create(new FrameworkOptions { Driver = FrameworkDriver.Process }), TimeProvider.System,
            NullLogger<FrameworkHostCheck>.Instance);

        Assert.True(check.StartAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    private static async Task AdvanceUntilDoneAsync(FakeTimeProvider clock, Task task)
    {
        for (var i = 0; i < 40 && !task.IsCompleted; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(5));
            await Task.WhenAny(task, Task.Delay(50));
        }
        Assert.True(task.IsCompleted, "the check decided within 200 s of simulated time");
    }

    private static FrameworkHostCheck Check(Func<List<(string Name, DateTime? HeartbeatUtc)>> servers, FrameworkDriver driver, TimeProvider clock) =>
        new(servers, Options.Create(new FrameworkOptions { Driver = driver }), clock, NullLogger<FrameworkHostCheck>.Instance);
}
