using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace LeaseBoard.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class LeaseEngine : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "NextActionUtc",
                table: "TestRuns",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "StopAttempts",
                table: "TestRuns",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<string>(
                name: "StopReason",
                table: "TestRuns",
                type: "TEXT",
                maxLength: 24,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "DeadlineJobId",
                table: "Reservations",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "EndedUtc",
                table: "Reservations",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "StartJobId",
                table: "Reservations",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "StateSinceUtc",
                table: "Environments",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "NextActionUtc",
                table: "TestRuns");

            migrationBuilder.DropColumn(
                name: "StopAttempts",
                table: "TestRuns");

            migrationBuilder.DropColumn(
                name: "StopReason",
                table: "TestRuns");

            migrationBuilder.DropColumn(
                name: "DeadlineJobId",
                table: "Reservations");

            migrationBuilder.DropColumn(
                name: "EndedUtc",
                table: "Reservations");

            migrationBuilder.DropColumn(
                name: "StartJobId",
                table: "Reservations");

            migrationBuilder.DropColumn(
                name: "StateSinceUtc",
                table: "Environments");
        }
    }
}
