using LeaseBoard.Features.Booking;
using LeaseBoard.Features.Framework;

namespace LeaseBoard.Features.Admin;

/// <summary>The admin actions the page offers; the words are the buttons' <c>data-action</c> values.</summary>
public static class AdminActions
{
    public const string ForceRelease = "force-release";
    public const string Quarantine = "quarantine";
    public const string Return = "return";
    public const string CheckHealth = "check-health";
    public const string Cleanup = "cleanup";
    public const string Maintenance = "maintenance";
    public const string EndMaintenance = "end-maintenance";
    public const string Faults = "faults";

    public static string Title(string action) => action switch
    {
        ForceRelease => "Force release",
        Quarantine => "Quarantine",
        Return => "Return to service",
        CheckHealth => "Check health now",
        Cleanup => "Clean up now",
        Maintenance => "Block maintenance time",
        EndMaintenance => "End maintenance",
        Faults => "Inject faults (simulated framework)",
        _ => action,
    };

    public static bool IsDestructive(string action) => action is ForceRelease or Quarantine or Maintenance or Faults;
}

/// <summary>What the admin confirmed in the action dialog.</summary>
public sealed record AdminActionRequest(
    string Action, string Reason, bool AndForceRelease = false, bool EvenIfUnhealthy = false,
    DateTime? MaintenanceStartUtc = null, DateTime? MaintenanceEndUtc = null, MaintenanceConflicts Conflicts = MaintenanceConflicts.Refuse,
    FaultProfile? Faults = null, bool HangCurrentRun = false);

/// <summary>Runs a confirmed request against the service, with the actor from the server-side principal.</summary>
public static class AdminActionRunner
{
    public static Task<AdminResult> RunAsync(this AdminService admin, LeaseBoard.Domain.Actor actor, int environmentId, AdminActionRequest request) => request.Action switch
    {
        AdminActions.ForceRelease => admin.ForceReleaseAsync(actor, environmentId, request.Reason),
        AdminActions.Quarantine => admin.QuarantineAsync(actor, environmentId, request.Reason, request.AndForceRelease),
        AdminActions.Return => admin.ReturnToServiceAsync(actor, environmentId, request.Reason, request.EvenIfUnhealthy),
        AdminActions.CheckHealth => admin.CheckHealthAsync(actor, environmentId, request.Reason),
        AdminActions.Cleanup => admin.CleanupAsync(actor, environmentId, request.Reason),
        AdminActions.Maintenance when request is { MaintenanceStartUtc: { } start, MaintenanceEndUtc: { } end } =>
            admin.BlockMaintenanceAsync(actor, environmentId, start, end, request.Reason, request.Conflicts),
        AdminActions.Maintenance => Task.FromResult(AdminResult.Invalid("Give the maintenance window's start and end.")),
        AdminActions.EndMaintenance => admin.EndMaintenanceAsync(actor, environmentId, request.Reason),
        AdminActions.Faults => admin.SetFaultsAsync(actor, environmentId, request.Faults ?? FaultProfile.None, request.HangCurrentRun, request.Reason),
        _ => Task.FromResult(AdminResult.Invalid($"Unknown action '{request.Action}'.")),
    };
}
