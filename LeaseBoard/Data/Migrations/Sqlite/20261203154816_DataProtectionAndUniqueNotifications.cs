using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeaseBoard.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DataProtectionAndUniqueNotifications : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "DataProtectionKeys",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    FriendlyName = table.Column<string>(type: "TEXT", nullable: true),
                    Xml = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_DataProtectionKeys", x => x.Id);
                });

            // Copies written before the index (one per instance) would stop it being made: keep the first of each.
            migrationBuilder.Sql(@"DELETE FROM ""Notifications"" WHERE ""ReservationId"" IS NOT NULL AND ""Kind"" NOT IN ('Moved', 'AtRisk') AND ""Id"" NOT IN (SELECT MIN(""Id"") FROM ""Notifications"" GROUP BY ""UserId"", ""ReservationId"", ""Kind"");");

            migrationBuilder.CreateIndex(
                name: "IX_Notifications_Once",
                table: "Notifications",
                columns: new[] { "UserId", "ReservationId", "Kind" },
                unique: true,
                filter: "\"ReservationId\" IS NOT NULL AND \"Kind\" NOT IN ('Moved', 'AtRisk')");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "DataProtectionKeys");

            migrationBuilder.DropIndex(
                name: "IX_Notifications_Once",
                table: "Notifications");
        }
    }
}
