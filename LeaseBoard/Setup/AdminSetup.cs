using System.Globalization;
using System.Text;
using LeaseBoard.Features.Admin;
using LeaseBoard.Features.Notifications;

namespace LeaseBoard.Setup;

public static class AdminSetup
{
    /// <summary>The admin actions and queries, and the owners' notifications (services only; tests build this part alone).</summary>
    public static IServiceCollection AddAdminServices(this IServiceCollection services)
    {
        services.AddOptions<NotificationOptions>().BindConfiguration(NotificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<NotificationService>();
        services.AddSingleton<NotificationWatcher>();
        services.AddSingleton<NotificationJobs>();
        services.AddSingleton<AdminService>();
        services.AddSingleton<AdminQueries>();
        return services;
    }

    public static WebApplicationBuilder AddAdmin(this WebApplicationBuilder builder)
    {
        builder.Services.AddAdminServices();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationWatcher>());
        builder.Services.AddHostedService<NotificationStartup>();
        return builder;
    }

    public static WebApplication MapAdmin(this WebApplication app)
    {
        // Same filters as the page's audit log; admin-only like the page.
        app.MapGet("/admin/audit.csv", async (HttpContext http, AdminQueries queries, TimeProvider clock, int? env, string? user, string? action, DateTime? from, DateTime? to) =>
        {
            var filter = new AuditFilter(env, user, action, AsUtc(from), AsUtc(to));
            http.Response.ContentType = "text/csv; charset=utf-8";
            http.Response.Headers.ContentDisposition = $"attachment; filename=\"leaseboard-audit-{clock.GetUtcNow().UtcDateTime.ToString("yyyyMMdd-HHmm", CultureInfo.InvariantCulture)}.csv\"";
            await using var writer = new StreamWriter(http.Response.Body, new UTF8Encoding(false));
            await writer.WriteLineAsync(AuditCsv.Header);
            await foreach (var row in queries.AuditForExportAsync(filter, http.RequestAborted))
                await writer.WriteLineAsync(AuditCsv.Line(row));
        }).RequireAuthorization(Roles.AdminPolicy);
        return app;
    }

    private static DateTime? AsUtc(DateTime? value) => value is { } v ? v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc) : null;
}
