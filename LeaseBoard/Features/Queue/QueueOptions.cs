using System.ComponentModel.DataAnnotations;

namespace LeaseBoard.Features.Queue;

/// <summary>The queue's limits, from <c>LeaseBoard:Queue</c>.</summary>
public sealed class QueueOptions
{
    public const string Section = "LeaseBoard:Queue";

    [Range(1, 1000, ErrorMessage = "LeaseBoard:Queue:MaxWaitingPerUser must be between 1 and 1000.")]
    public int MaxWaitingPerUser { get; set; } = 10;

    /// <summary>How far ahead the list looks for an entry's estimated start; beyond it the estimate is "unknown".</summary>
    [Range(typeof(TimeSpan), "01:00:00", "30.00:00:00", ErrorMessage = "LeaseBoard:Queue:EstimateHorizon must be between 1 hour and 30 days.")]
    public TimeSpan EstimateHorizon { get; set; } = TimeSpan.FromDays(2);
}
