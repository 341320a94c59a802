using SafeguardingCases.Web.Components.Shared;

namespace SafeguardingCases.Web.Tests;

/// <summary>
/// The console shows and reads instants in UK time (GMT in winter, BST in summer), across the two changes of the clocks;
/// the browser journeys run whenever they run, so these fix the instants.
/// </summary>
public sealed class UkTimeTests
{
    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void An_instant_shows_in_UK_time_with_GMT_or_BST_beside_it()
    {
        Format.Instant(Utc(2026, 1, 15, 9, 30)).ShouldBe("15 Jan 2026 09:30 GMT");
        Format.Instant(Utc(2026, 7, 1, 14, 0)).ShouldBe("1 Jul 2026 15:00 BST");
        Format.Instant(Utc(2026, 7, 1, 23, 30)).ShouldBe("2 Jul 2026 00:30 BST", "past midnight in the UK is the next day");
        Format.Instant(new DateTimeOffset(2026, 7, 1, 16, 0, 0, TimeSpan.FromHours(1))).ShouldBe("1 Jul 2026 16:00 BST");
        Format.Instant(null).ShouldBe("");
    }

    [Fact]
    public void A_time_typed_into_a_form_is_read_as_UK_time_even_when_the_clocks_change()
    {
        Format.FromUkTime(new DateTime(2026, 1, 15, 9, 30, 0)).ShouldBe(Utc(2026, 1, 15, 9, 30));
        Format.FromUkTime(new DateTime(2026, 7, 1, 15, 0, 0)).ShouldBe(Utc(2026, 7, 1, 14, 0));
        // 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 never happens: read an hour on (02:30 BST), as the clocks moved.
        Format.FromUkTime(new DateTime(2026, 3, 29, 1, 30, 0)).ShouldBe(Utc(2026, 3, 29, 1, 0).AddMinutes(30));
        // 25 October 2026: 01:30 happens twice (BST, then GMT): read as the first.
        Format.FromUkTime(new DateTime(2026, 10, 25, 1, 30, 0)).ShouldBe(Utc(2026, 10, 25, 0, 30));
        // Whatever kind the form's binding gave it, the numbers are UK time.
        Format.FromUkTime(new DateTime(2026, 7, 1, 15, 0, 0, DateTimeKind.Utc)).ShouldBe(Utc(2026, 7, 1, 14, 0));
    }

    [Fact]
    public void A_date_picked_in_a_form_starts_at_UK_midnight_and_a_date_that_is_not_one_is_none()
    {
        Format.StartOfUkDay(new DateOnly(2026, 12, 7)).ShouldBe(Utc(2026, 12, 7, 0, 0));
        Format.StartOfUkDay(new DateOnly(2026, 7, 1)).ShouldBe(Utc(2026, 6, 30, 23, 0), "a summer day begins at 23:00 UTC the day before");
        Format.ReadDate("2026-07-01").ShouldBe(new DateOnly(2026, 7, 1));
        Format.ReadDate("2026-13-45").ShouldBeNull();
        Format.ReadDate(null).ShouldBeNull();
        Format.DateField(new DateOnly(2026, 7, 1)).ShouldBe("2026-07-01");
    }
}
