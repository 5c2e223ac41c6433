using LeaseBoard.Domain;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace LeaseBoard.Data;

/// <summary>
/// The one model of LeaseBoard. Each provider has a small subclass so that its migrations live in a
/// folder of their own (<see cref="SqliteLeaseBoardDb"/>, <see cref="SqlServerLeaseBoardDb"/>).
/// </summary>
public abstract class LeaseBoardDb(DbContextOptions options) : DbContext(options), IDataProtectionKeyContext
{
    public DbSet<TestEnvironment> Environments => Set<TestEnvironment>();
    public DbSet<Reservation> Reservations => Set<Reservation>();
    public DbSet<TestRun> TestRuns => Set<TestRun>();
    public DbSet<AuditEntry> AuditEntries => Set<AuditEntry>();
    public DbSet<HealthSample> HealthSamples => Set<HealthSample>();
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();
    public DbSet<MaintenanceWindow> MaintenanceWindows => Set<MaintenanceWindow>();
    public DbSet<Notification> Notifications => Set<Notification>();
    public DbSet<Person> People => Set<Person>();
    public DbSet<QueueEntry> QueueEntries => Set<QueueEntry>();
    public DbSet<LimitException> LimitExceptions => Set<LimitException>();
    public DbSet<Webhook> Webhooks => Set<Webhook>();
    public DbSet<WebhookDelivery> WebhookDeliveries => Set<WebhookDelivery>();
    /// <summary>The ASP.NET Core data-protection key ring, shared by every instance on this database (cookies, antiforgery).</summary>
    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public abstract DatabaseProvider Provider { get; }

    protected override void ConfigureConventions(ModelConfigurationBuilder conventions)
    {
        // Instants are UTC everywhere; SQLite forgets the kind, so it is restored on read.
        conventions.Properties<DateTime>().HaveConversion<UtcDateTimeConverter>();
        conventions.Properties<DateTime?>().HaveConversion<UtcDateTimeConverter>();
        conventions.Properties<Enum>().HaveConversion<string>().HaveMaxLength(24);
    }

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<TestEnvironment>(e =>
        {
            e.ToTable("Environments");
            e.HasIndex(x => x.Key).IsUnique();
            e.Property(x => x.Key).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(128);
            e.Property(x => x.Description).HasMaxLength(1000);
            e.Property(x => x.HealthDetail).HasMaxLength(1000);
            e.Property(x => x.QuarantineReason).HasMaxLength(1000);
            e.Property(x => x.QuarantinedBy).HasMaxLength(256);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.IsBookable);
        });

        model.Entity<Reservation>(e =>
        {
            e.HasIndex(x => new { x.EnvironmentId, x.StartUtc });
            e.HasIndex(x => new { x.OwnerId, x.StartUtc });
            e.HasIndex(x => new { x.State, x.StartUtc });
            e.Property(x => x.OwnerId).HasMaxLength(256);
            e.Property(x => x.OwnerName).HasMaxLength(256);
            e.Property(x => x.Title).HasMaxLength(Rules.TitleMaxLength);
            e.Property(x => x.TestSpec).HasMaxLength(Rules.TestSpecMaxLength);
            e.Property(x => x.Outcome).HasMaxLength(1000);
            e.Property(x => x.StartJobId).HasMaxLength(64);
            e.Property(x => x.DeadlineJobId).HasMaxLength(64);
            e.Property(x => x.IdempotencyKey).HasMaxLength(100);
            e.HasIndex(x => new { x.OwnerId, x.IdempotencyKey }).IsUnique();
            e.HasIndex(x => x.QueueEntryId);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne(x => x.Environment).WithMany().HasForeignKey(x => x.EnvironmentId).OnDelete(DeleteBehavior.Restrict);
            e.Ignore(x => x.Duration);
        });

        model.Entity<TestRun>(e =>
        {
            e.HasIndex(x => new { x.State, x.EnvironmentId });
            e.HasIndex(x => x.ReservationId);
            // The reliability figures and the automatic quarantine read an environment's runs by when they ended.
            e.HasIndex(x => new { x.EnvironmentId, x.EndedUtc });
            e.Property(x => x.FrameworkRunId).HasMaxLength(128);
            e.Property(x => x.Detail).HasMaxLength(1000);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne(x => x.Reservation).WithMany(r => r.Runs).HasForeignKey(x => x.ReservationId).OnDelete(DeleteBehavior.Restrict);
            e.HasOne<TestEnvironment>().WithMany().HasForeignKey(x => x.EnvironmentId).OnDelete(DeleteBehavior.Restrict);
        });

        model.Entity<AuditEntry>(e =>
        {
            e.HasIndex(x => x.AtUtc);
            e.HasIndex(x => new { x.EnvironmentId, x.AtUtc });
            e.Property(x => x.Actor).HasMaxLength(256);
            e.Property(x => x.Action).HasMaxLength(64);
            e.Property(x => x.Details).HasMaxLength(2000);
        });

        model.Entity<ApiToken>(e =>
        {
            e.HasIndex(x => x.Prefix).IsUnique();
            e.HasIndex(x => x.OwnerId);
            e.Property(x => x.OwnerId).HasMaxLength(256);
            e.Property(x => x.OwnerName).HasMaxLength(256);
            e.Property(x => x.Name).HasMaxLength(100);
            e.Property(x => x.Prefix).HasMaxLength(16);
            e.Property(x => x.SecretHash).HasMaxLength(32);
        });

        model.Entity<HealthSample>(e =>
        {
            e.HasIndex(x => new { x.EnvironmentId, x.AtUtc });
            e.HasOne<TestEnvironment>().WithMany().HasForeignKey(x => x.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<MaintenanceWindow>(e =>
        {
            e.HasIndex(x => new { x.EnvironmentId, x.StartUtc });
            e.Property(x => x.Reason).HasMaxLength(Rules.ReasonMaxLength);
            e.Property(x => x.CreatedBy).HasMaxLength(256);
            e.HasOne<TestEnvironment>().WithMany().HasForeignKey(x => x.EnvironmentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<QueueEntry>(e =>
        {
            e.ToTable("QueueEntries");
            e.HasIndex(x => new { x.State, x.CreatedUtc });
            e.HasIndex(x => new { x.OwnerId, x.State });
            e.HasIndex(x => new { x.OwnerId, x.IdempotencyKey }).IsUnique();
            e.Property(x => x.OwnerId).HasMaxLength(256);
            e.Property(x => x.OwnerName).HasMaxLength(256);
            e.Property(x => x.Title).HasMaxLength(Rules.TitleMaxLength);
            e.Property(x => x.TestSpec).HasMaxLength(Rules.TestSpecMaxLength);
            e.Property(x => x.EnvironmentIds).HasMaxLength(400);
            e.Property(x => x.Outcome).HasMaxLength(1000);
            e.Property(x => x.IdempotencyKey).HasMaxLength(100);
            // Ticks: both providers order and compare a bigint; SQLite cannot do arithmetic on a TimeSpan's text.
            e.Property(x => x.Duration).HasConversion<long>();
            e.Property(x => x.Version).IsConcurrencyToken();
            e.Ignore(x => x.AllowedEnvironments);
        });

        model.Entity<Person>(e =>
        {
            e.Property(x => x.Id).HasMaxLength(256);
            e.Property(x => x.DisplayName).HasMaxLength(256);
            e.Property(x => x.Team).HasMaxLength(64);
            e.HasIndex(x => x.Team);
        });
        model.Entity<LimitException>(e =>
        {
            e.HasIndex(x => new { x.UserId, x.EndsUtc });
            e.Property(x => x.UserId).HasMaxLength(256);
            e.Property(x => x.GrantedBy).HasMaxLength(256);
            e.Property(x => x.Reason).HasMaxLength(Rules.ReasonMaxLength);
        });
        model.Entity<Webhook>(e =>
        {
            e.HasIndex(x => x.OwnerId);
            e.HasIndex(x => x.ChannelTarget);
            e.Property(x => x.OwnerId).HasMaxLength(256);
            e.Property(x => x.CreatedBy).HasMaxLength(256);
            e.Property(x => x.ChannelTarget).HasMaxLength(64);
            e.Property(x => x.ProtectedUrl).HasMaxLength(4000);
            e.Property(x => x.UrlHint).HasMaxLength(200);
            e.Property(x => x.Kinds).HasMaxLength(400);
            e.Property(x => x.LastResult).HasMaxLength(1000);
            e.Ignore(x => x.IsChannel);
        });
        model.Entity<WebhookDelivery>(e =>
        {
            e.HasIndex(x => new { x.WebhookId, x.DedupeKey }).IsUnique();
            e.HasIndex(x => new { x.State, x.NextAttemptUtc });
            e.Property(x => x.DedupeKey).HasMaxLength(100);
            e.Property(x => x.Title).HasMaxLength(200);
            e.Property(x => x.Text).HasMaxLength(1000);
            e.Property(x => x.LastError).HasMaxLength(1000);
            e.HasOne<Webhook>().WithMany().HasForeignKey(x => x.WebhookId).OnDelete(DeleteBehavior.Cascade);
        });
        model.Entity<Notification>(e =>
        {
            e.HasIndex(x => new { x.UserId, x.AtUtc });
            e.HasIndex(x => x.AtUtc);
            // An owner hears of a thing once, however many instances saw it: (user, reservation, kind) is unique,
            // except for the kinds that may rightly repeat (moved again, at risk again).
            e.HasIndex(x => new { x.UserId, x.ReservationId, x.Kind }).IsUnique()
                .HasDatabaseName("IX_Notifications_Once")
                .HasFilter(Provider == DatabaseProvider.SqlServer ? NotificationOnceFilterSqlServer : NotificationOnceFilterSqlite);
            e.Property(x => x.UserId).HasMaxLength(256);
            e.Property(x => x.Text).HasMaxLength(1000);
        });
    }

    /// <summary>The notification kinds that may repeat for one reservation; every other kind is sent once.</summary>
    public static readonly NotificationKind[] RepeatableNotificationKinds = [NotificationKind.Moved, NotificationKind.AtRisk];
    private const string NotificationOnceFilterSqlite = "\"ReservationId\" IS NOT NULL AND \"Kind\" NOT IN ('Moved', 'AtRisk')";
    private const string NotificationOnceFilterSqlServer = "[ReservationId] IS NOT NULL AND [Kind] NOT IN (N'Moved', N'AtRisk')";

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        RenewVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        RenewVersions();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    // A row version that works on both providers: SQLite never fills [Timestamp] columns.
    private void RenewVersions()
    {
        foreach (var entry in ChangeTracker.Entries<IVersioned>())
        {
            if (entry.State is EntityState.Modified or EntityState.Added)
                entry.Entity.Version = Guid.NewGuid();
        }
    }
}

/// <summary>Writes UTC and reads back a <see cref="DateTimeKind.Utc"/> value whatever the provider kept.</summary>
internal sealed class UtcDateTimeConverter() : ValueConverter<DateTime, DateTime>(
    v => v.Kind == DateTimeKind.Utc ? v : v.ToUniversalTime(),
    v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

public enum DatabaseProvider { Sqlite, SqlServer }

public sealed class SqliteLeaseBoardDb(DbContextOptions<SqliteLeaseBoardDb> options) : LeaseBoardDb(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.Sqlite;
}

public sealed class SqlServerLeaseBoardDb(DbContextOptions<SqlServerLeaseBoardDb> options) : LeaseBoardDb(options)
{
    public override DatabaseProvider Provider => DatabaseProvider.SqlServer;
}
