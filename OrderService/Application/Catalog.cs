namespace Onboarding.OrderService.Application;

/// <summary>A product of the seeded catalog; its stock lives in Redis.</summary>
internal sealed record Product(string Id, string Name, decimal Price, int InitialStock);

/// <summary>The seeded catalog: fixed products, stock seeded once per Redis (never reset on restart).</summary>
internal static class Catalog
{
    public static readonly IReadOnlyList<Product> Products =
    [
        new("sku-laptop", "Laptop 14\"", 1299.00m, 50),
        new("sku-phone", "Smartphone", 799.00m, 100),
        new("sku-headphones", "Noise-cancelling headphones", 249.00m, 200),
        new("sku-keyboard", "Mechanical keyboard", 129.00m, 300),
        new("sku-mouse", "Wireless mouse", 49.00m, 500),
        new("sku-monitor", "27\" monitor", 349.00m, 80),
        new("sku-limited", "Limited edition print", 99.00m, 2),
    ];

    public static Product? Find(string? id) => Products.FirstOrDefault(p => p.Id == id);
}
