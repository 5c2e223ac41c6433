using Hangfire.InMemory;
using Hangfire.Server;
using LeaseBoard.Features.Framework;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

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

    [Fact]
    public async Task Start_up_is_refused_while_another_hosts_job_server_shares_the_job_storage_and_allowed_when_it_is_gone()
    {
        using var storage = new InMemoryStorage();
        using (var connection = storage.GetConnection())
            connection.AnnounceServer("other-lab-host:4242:0f3c", new ServerContext { Queues = ["default"], WorkerCount = 4 });

        var process = Check(storage, FrameworkDriver.Process);
        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => process.StartAsync(CancellationToken.None));
        Assert.Contains("a job server on other-lab-host already runs on this database", refused.Message);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Check(storage, FrameworkDriver.Simulated).StartAsync(CancellationToken.None));

        using (var connection = storage.GetConnection())
            connection.RemoveServer("other-lab-host:4242:0f3c");
        await process.StartAsync(CancellationToken.None);
    }

    private static FrameworkHostCheck Check(InMemoryStorage storage, FrameworkDriver driver) =>
        new(storage, Options.Create(new FrameworkOptions { Driver = driver }), TimeProvider.System, NullLogger<FrameworkHostCheck>.Instance);
}
