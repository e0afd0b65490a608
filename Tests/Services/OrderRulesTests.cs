using Onboarding.Contracts.Http;
using Onboarding.OrderService.Application;

namespace Onboarding.Tests.Services;

public sealed class OrderRulesTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("0002", "card_declined")]
    [InlineData("0119", "insufficient_funds")]
    [InlineData("0069", "expired_card")]
    [InlineData("0127", "incorrect_cvc")]
    public void PaymentRules_Decline_TheDocumentedTestCards(string last4, string code)
    {
        var payment = PaymentRules.Charge("pay_1", "order-1", last4, 10m);

        Assert.Equal(PaymentStatuses.Declined, payment.Status);
        Assert.Equal(code, payment.DeclineCode);
        Assert.False(string.IsNullOrEmpty(payment.Reason));
    }

    [Fact]
    public void PaymentRules_Approve_OtherCards_AndDeclineAmountsAboveTheLimit()
    {
        Assert.Equal(PaymentStatuses.Approved, PaymentRules.Charge("pay_1", "o", "4242", PaymentRules.MaxAmount).Status);
        Assert.Equal("amount_limit_exceeded", PaymentRules.Charge("pay_1", "o", "4242", PaymentRules.MaxAmount + 0.01m).DeclineCode);
    }

    [Theory]
    [InlineData(OrderStatuses.Pending, OrderStatuses.Processing, true)]
    [InlineData(OrderStatuses.Processing, OrderStatuses.Paid, true)]
    [InlineData(OrderStatuses.Paid, OrderStatuses.Confirmed, true)]
    [InlineData(OrderStatuses.Confirmed, OrderStatuses.ReadyToShip, true)]
    [InlineData(OrderStatuses.Processing, OrderStatuses.Failed, true)]
    [InlineData(OrderStatuses.Paid, OrderStatuses.Paid, true)]
    [InlineData(OrderStatuses.Pending, OrderStatuses.Paid, false)]
    [InlineData(OrderStatuses.Failed, OrderStatuses.Processing, false)]
    [InlineData(OrderStatuses.ReadyToShip, OrderStatuses.Failed, false)]
    public void OrderStateMachine_AllowsOnlyTheDocumentedTransitions(string from, string to, bool allowed) =>
        Assert.Equal(allowed, OrderStateMachine.CanMove(from, to));

    [Fact]
    public void OrderValidation_AcceptsAValidOrder_AndNamesEveryBadField()
    {
        var valid = new CreateOrderRequest("0190a6d2-5b1e-7c3a-9f0e-2d4b6a8c1e3f", "a@b.co", [new OrderItemRequest("sku-mouse", 2)],
            new ShippingAddressDto("A", "1 Main St", "Springfield", "12345", "US"), new PaymentMethodRequest("4242 4242 4242 4242", 12, 2027));
        Assert.Empty(OrderValidation.Validate(valid, Now));
        Assert.Equal("4242", OrderValidation.Last4(valid.PaymentMethod!.CardNumber!));

        var invalid = new CreateOrderRequest(null, "nope", [new OrderItemRequest("sku-unknown", 0)],
            new ShippingAddressDto(null, "", null, null, "usa"), new PaymentMethodRequest("12ab", 10, 2026));
        var errors = OrderValidation.Validate(invalid, Now);

        Assert.Equal(
            ["customerEmail", "items[0].productId", "items[0].quantity", "paymentMethod.cardNumber", "paymentMethod.expiryYear",
             "shippingAddress.city", "shippingAddress.country", "shippingAddress.postalCode", "shippingAddress.street", "userId"],
            errors.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void PricingRules_QuoteTaxAndScore_ByDestination()
    {
        Assert.Equal(5.99m, PricingRules.Quote("US", 1).Amount);
        Assert.Equal(19.00m, PricingRules.Tax("DE", 100m).Amount);
        Assert.True(PricingRules.FraudScore(100m, "US") < PricingRules.FraudThreshold);
        Assert.True(PricingRules.FraudScore(6_000m, "BR") >= PricingRules.FraudThreshold);
        Assert.False(PricingRules.ValidateAddress(new ShippingAddressDto(null, "s", "c", PricingRules.UndeliverablePostalCode, "US")).Valid);
    }
}
