using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeaseBoard.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class QueueEntries : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<int>(
                name: "QueueEntryId",
                table: "Reservations",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "QueueEntries",
                columns: table => new
                {
                    Id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    OwnerId = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    OwnerName = table.Column<string>(type: "TEXT", maxLength: 256, nullable: false),
                    Title = table.Column<string>(type: "TEXT", maxLength: 120, nullable: false),
                    TestKind = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    TestSpec = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    Duration = table.Column<long>(type: "INTEGER", nullable: false),
                    EnvironmentIds = table.Column<string>(type: "TEXT", maxLength: 400, nullable: true),
                    NotBeforeUtc = table.Column<DateTime>(type: "TEXT", nullable: true),
                    MustFinishByUtc = table.Column<DateTime>(type: "TEXT", nullable: true),
                    CreatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    UpdatedUtc = table.Column<DateTime>(type: "TEXT", nullable: false),
                    State = table.Column<string>(type: "TEXT", maxLength: 24, nullable: false),
                    ReservationId = table.Column<int>(type: "INTEGER", nullable: true),
                    PlacedUtc = table.Column<DateTime>(type: "TEXT", nullable: true),
                    Outcome = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    IdempotencyKey = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    Version = table.Column<Guid>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_QueueEntries", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Reservations_QueueEntryId",
                table: "Reservations",
                column: "QueueEntryId");

            migrationBuilder.CreateIndex(
                name: "IX_QueueEntries_OwnerId_IdempotencyKey",
                table: "QueueEntries",
                columns: new[] { "OwnerId", "IdempotencyKey" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "IX_QueueEntries_OwnerId_State",
                table: "QueueEntries",
                columns: new[] { "OwnerId", "State" });

            migrationBuilder.CreateIndex(
                name: "IX_QueueEntries_State_CreatedUtc",
                table: "QueueEntries",
                columns: new[] { "State", "CreatedUtc" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "QueueEntries");

            migrationBuilder.DropIndex(
                name: "IX_Reservations_QueueEntryId",
                table: "Reservations");

            migrationBuilder.DropColumn(
                name: "QueueEntryId",
                table: "Reservations");
        }
    }
}
