using System.Text;
using System.Text.Json;
using Onboarding.TaskEngine.Abstractions;
using Onboarding.TaskEngine.Protocol;

namespace Onboarding.Tests.TaskEngine.Protocol;

public sealed class PythonFloatConverterTests
{
    // Each expected text is what CPython 3's repr() (and so json.dumps) writes for the value.
    [Theory]
    [InlineData(1.0, "1.0")]
    [InlineData(75.0, "75.0")]
    [InlineData(0.5, "0.5")]
    [InlineData(-2.5, "-2.5")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(123.456, "123.456")]
    [InlineData(100.0, "100.0")]
    [InlineData(1e15, "1000000000000000.0")]
    [InlineData(1e16, "1e+16")]
    [InlineData(12345678901234567.0, "1.2345678901234568e+16")]
    [InlineData(1.2345678901234567e19, "1.2345678901234567e+19")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(0.00001, "1e-05")]
    [InlineData(1.5e-05, "1.5e-05")]
    [InlineData(1e300, "1e+300")]
    [InlineData(5e-324, "5e-324")]
    public void Format_WritesPythonRepr_WhenValueIsFinite(double value, string expected) =>
        Assert.Equal(expected, PythonFloatConverter.Format(value));

    [Fact]
    public void Serialize_KeepsWholeFloatsFloats_WhenInsideObjectsAndLists()
    {
        var json = JsonSerializer.Serialize(new { Total = 75.0, Parts = new object[] { 25.0, 25, 0.5 } }, TaskJson.Options);

        Assert.Equal("""{"total":75.0,"parts":[25.0,25,0.5]}""", json);
    }

    [Fact]
    public void Deserialize_ReadsPythonFloats_WhenWrittenWithFractionOrExponent()
    {
        Assert.Equal(1.0, JsonSerializer.Deserialize<double>("1.0", TaskJson.Options));
        Assert.Equal(1e16, JsonSerializer.Deserialize<double>("1e+16", TaskJson.Options));
        Assert.Equal(3.0, JsonSerializer.Deserialize<double>("3", TaskJson.Options));
    }

    [Fact]
    public void Success_StoresAWholeFloatResultAsFloat_WhenHandlerReturnsDouble()
    {
        var json = Encoding.UTF8.GetString(ResultMetaWriter.Success("t1", 1.0, DateTimeOffset.UnixEpoch, null, null));

        Assert.StartsWith("""{"status":"SUCCESS","result":1.0,""", json);
    }
}
