using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Api;

public sealed class ApiOptions
{
    public const string Section = "LeaseBoard:Api";

    /// <summary>Requests one token may make per minute before it gets 429 with Retry-After.</summary>
    [Range(1, 100_000, ErrorMessage = "LeaseBoard:Api:RequestsPerMinute must be between 1 and 100000.")]
    public int RequestsPerMinute { get; set; } = 120;

    /// <summary>
    /// Rounds of the booking path the instance rehearses after start-up, before it says it is ready. The JIT compiles a
    /// method quickly first and optimised once it has been called 30 times after start-up calmed down: 60 rounds get the
    /// hot methods there.
    /// </summary>
    [Range(1, 1000, ErrorMessage = "LeaseBoard:Api:WarmUpRounds must be between 1 and 1000.")]
    public int WarmUpRounds { get; set; } = 60;

    /// <summary>After the rounds, how long readiness may wait for the JIT to finish its optimised recompiles (0: not at all).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00", ErrorMessage = "LeaseBoard:Api:WarmUpJitSettle must be between 0 and 1 minute.")]
    public TimeSpan WarmUpJitSettle { get; set; } = TimeSpan.FromSeconds(5);
}
