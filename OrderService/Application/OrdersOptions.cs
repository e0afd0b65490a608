using System.ComponentModel.DataAnnotations;

namespace Onboarding.OrderService.Application;

/// <summary>Settings of the orders (section <c>Orders</c>).</summary>
internal sealed class OrdersOptions
{
    public const string SectionName = "Orders";

    /// <summary>An order still pending or processing this long after it was placed is expired (unpaid).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "30.00:00:00")]
    public TimeSpan UnpaidTimeout { get; set; } = TimeSpan.FromMinutes(30);
}
