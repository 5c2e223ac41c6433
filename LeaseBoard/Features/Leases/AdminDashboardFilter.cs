using Hangfire.Dashboard;
using LeaseBoard.Features.SignIn;

namespace LeaseBoard.Features.Leases;

/// <summary>Defence in depth behind the endpoint's admin policy: Hangfire asks too.</summary>
public sealed class AdminDashboardFilter : IDashboardAuthorizationFilter
{
    public bool Authorize(DashboardContext context) => context.GetHttpContext().User.IsInRole(Roles.Admin);
}
