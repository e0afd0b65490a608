using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;

namespace Onboarding.TaskEngine.RabbitMq;

/// <summary>A header value written with py-amqp's <c>L</c> tag (64-bit), which RabbitMQ.Client 7.2.2 cannot read.</summary>
internal readonly record struct AmqpLongLongL(long Value);

/// <summary>A message read by <see cref="RawAmqpConnection.GetAsync"/>.</summary>
internal sealed record RawAmqpMessage(
    ulong DeliveryTag,
    bool Redelivered,
    string RoutingKey,
    RawAmqpProperties Properties,
    byte[] Body,
    bool HasTypesDotNetCannotRead);

/// <summary>What <see cref="RawAmqpConnection.GetHeadAsync"/> read before the body.</summary>
internal sealed record RawAmqpHead(
    ulong DeliveryTag,
    bool Redelivered,
    string RoutingKey,
    RawAmqpProperties Properties,
    ulong BodySize,
    bool HasTypesDotNetCannotRead);

internal sealed record RawAmqpProperties
{
    public string? ContentType { get; init; }

    public string? ContentEncoding { get; init; }

    public Dictionary<string, object?>? Headers { get; init; }

    public byte DeliveryMode { get; init; } = 2;

    public byte Priority { get; init; }

    public string? CorrelationId { get; init; }

    public string? ReplyTo { get; init; }

    public string? MessageId { get; init; }
}

/// <summary>
/// A minimal AMQP 0-9-1 client (plain TCP, PLAIN auth, one channel) with a tolerant field-table reader. It exists
/// for one job: RabbitMQ.Client 7.2.2 has no case for py-amqp's <c>L</c> (64-bit) table values, so a Python
/// message with a large-int header makes it throw while parsing the delivery and close the whole connection.
/// This client can still read such messages (basic.get), so the worker moves them to the dead-letter queue. It also
/// moves messages larger than the client library accepts (<c>MaxInboundMessageBodySize</c>, which closes the
/// connection as well) without holding their bodies: see <see cref="ForwardBodyAsync"/>.
/// </summary>
internal sealed class RawAmqpConnection : IAsyncDisposable
{
    private const byte FrameMethod = 1;
    private const byte FrameHeader = 2;
    private const byte FrameBody = 3;
    private const byte FrameEnd = 0xCE;
    private const ushort Channel = 1;

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private uint _frameMax = 131_072;
    private ulong _publishSequence;

    private RawAmqpConnection(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
    }

    public static async Task<RawAmqpConnection> OpenAsync(Uri uri, CancellationToken cancellationToken)
    {
        if (!string.Equals(uri.Scheme, "amqp", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"Only amqp:// is supported here, not {uri.Scheme}.");
        }

        var tcp = new TcpClient { NoDelay = true };
        try
        {
            await tcp.ConnectAsync(uri.Host, uri.Port > 0 ? uri.Port : 5672, cancellationToken).ConfigureAwait(false);
            var connection = new RawAmqpConnection(tcp);
            await connection.HandshakeAsync(uri, cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    private async Task HandshakeAsync(Uri uri, CancellationToken cancellationToken)
    {
        await _stream.WriteAsync("AMQP\0\0\u0009\u0001"u8.ToArray(), cancellationToken).ConfigureAwait(false);
        await ExpectMethodAsync(10, 10, cancellationToken).ConfigureAwait(false);

        var userInfo = uri.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(userInfo.Length > 0 && userInfo[0].Length > 0 ? userInfo[0] : "guest");
        var password = Uri.UnescapeDataString(userInfo.Length > 1 ? userInfo[1] : "guest");
        var startOk = new FrameWriter();
        startOk.Method(10, 11);
        startOk.Table(new Dictionary<string, object?> { ["product"] = "Onboarding.TaskEngine raw reader" });
        startOk.ShortString("PLAIN");
        startOk.LongString(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        startOk.ShortString("en_US");
        await SendMethodAsync(0, startOk, cancellationToken).ConfigureAwait(false);

        var tune = await ExpectMethodAsync(10, 30, cancellationToken).ConfigureAwait(false);
        var channelMax = BinaryPrimitives.ReadUInt16BigEndian(tune.AsSpan(4));
        var frameMax = BinaryPrimitives.ReadUInt32BigEndian(tune.AsSpan(6));
        if (frameMax > 0)
        {
            _frameMax = Math.Min(frameMax, _frameMax);
        }

        var tuneOk = new FrameWriter();
        tuneOk.Method(10, 31);
        tuneOk.UInt16(channelMax);
        tuneOk.UInt32(_frameMax);
        tuneOk.UInt16(0);
        await SendMethodAsync(0, tuneOk, cancellationToken).ConfigureAwait(false);

        var open = new FrameWriter();
        open.Method(10, 40);
        var vhost = uri.AbsolutePath is { Length: > 1 } path ? Uri.UnescapeDataString(path[1..]) : "/";
        open.ShortString(vhost);
        open.ShortString(string.Empty);
        open.Byte(0);
        await SendMethodAsync(0, open, cancellationToken).ConfigureAwait(false);
        await ExpectMethodAsync(10, 41, cancellationToken).ConfigureAwait(false);

        var channelOpen = new FrameWriter();
        channelOpen.Method(20, 10);
        channelOpen.ShortString(string.Empty);
        await SendMethodAsync(Channel, channelOpen, cancellationToken).ConfigureAwait(false);
        await ExpectMethodAsync(20, 11, cancellationToken).ConfigureAwait(false);

        var confirmSelect = new FrameWriter();
        confirmSelect.Method(85, 10);
        confirmSelect.Byte(0);
        await SendMethodAsync(Channel, confirmSelect, cancellationToken).ConfigureAwait(false);
        await ExpectMethodAsync(85, 11, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>basic.get without auto-ack; null when the queue is empty.</summary>
    public async Task<RawAmqpMessage?> GetAsync(string queue, CancellationToken cancellationToken)
    {
        if (await GetHeadAsync(queue, cancellationToken).ConfigureAwait(false) is not { } head)
        {
            return null;
        }

        var body = await ReadBodyAsync(head.BodySize, cancellationToken).ConfigureAwait(false);
        return new RawAmqpMessage(head.DeliveryTag, head.Redelivered, head.RoutingKey, head.Properties, body, head.HasTypesDotNetCannotRead);
    }

    /// <summary>
    /// basic.get without auto-ack, up to the content header: the delivery and its properties and body size, or null
    /// when the queue is empty. The body frames are still on the wire: the caller reads them next, with
    /// <see cref="ReadBodyAsync"/> or <see cref="ForwardBodyAsync"/>, before anything else on this connection.
    /// </summary>
    public async Task<RawAmqpHead?> GetHeadAsync(string queue, CancellationToken cancellationToken)
    {
        var get = new FrameWriter();
        get.Method(60, 70);
        get.UInt16(0);
        get.ShortString(queue);
        get.Byte(0);
        await SendMethodAsync(Channel, get, cancellationToken).ConfigureAwait(false);

        var (classId, methodId, payload) = await ReadMethodAsync(cancellationToken).ConfigureAwait(false);
        if (classId == 60 && methodId == 72)
        {
            return null;
        }

        if (classId != 60 || methodId != 71)
        {
            throw new InvalidOperationException($"Unexpected AMQP method {classId}.{methodId} after basic.get.");
        }

        var reader = new FrameReader(payload, 4);
        var deliveryTag = reader.UInt64();
        var redelivered = reader.Byte() != 0;
        reader.ShortString();
        var routingKey = reader.ShortString();

        var (type, _, header) = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        if (type != FrameHeader)
        {
            throw new InvalidOperationException("Expected a content header frame.");
        }

        var headerReader = new FrameReader(header, 4);
        var bodySize = headerReader.UInt64();
        var properties = headerReader.Properties(out var unreadable);
        return new RawAmqpHead(deliveryTag, redelivered, routingKey, properties, bodySize, unreadable);
    }

    /// <summary>Reads the body whose content header <see cref="GetHeadAsync"/> returned.</summary>
    public async Task<byte[]> ReadBodyAsync(ulong bodySize, CancellationToken cancellationToken)
    {
        var body = new byte[bodySize];
        var received = 0;
        while ((ulong)received < bodySize)
        {
            var chunk = await ReadBodyFrameAsync(cancellationToken).ConfigureAwait(false);
            chunk.CopyTo(body, received);
            received += chunk.Length;
        }

        return body;
    }

    /// <summary>
    /// Publishes the body whose content header <see cref="GetHeadAsync"/> returned to the default exchange with
    /// <paramref name="routingKey"/> and <paramref name="properties"/>, one frame at a time as it arrives, and waits
    /// for the broker's confirm: a body of any size passes through holding one frame (at most the negotiated frame
    /// size, 128 KiB) in memory.
    /// </summary>
    public async Task ForwardBodyAsync(ulong bodySize, string routingKey, RawAmqpProperties properties, CancellationToken cancellationToken)
    {
        await SendPublishAsync(routingKey, properties, bodySize, cancellationToken).ConfigureAwait(false);
        // Incoming frames are at most the frame size negotiated for both directions, so each goes out as one frame.
        ulong forwarded = 0;
        while (forwarded < bodySize)
        {
            var chunk = await ReadBodyFrameAsync(cancellationToken).ConfigureAwait(false);
            await SendFrameAsync(FrameBody, Channel, chunk, cancellationToken).ConfigureAwait(false);
            forwarded += (ulong)chunk.Length;
        }

        await WaitForConfirmAsync(routingKey, cancellationToken).ConfigureAwait(false);
    }

    private async Task<byte[]> ReadBodyFrameAsync(CancellationToken cancellationToken)
    {
        var (type, _, chunk) = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
        return type == FrameBody ? chunk : throw new InvalidOperationException("Expected a content body frame.");
    }

    public Task AckAsync(ulong deliveryTag, CancellationToken cancellationToken)
    {
        var ack = new FrameWriter();
        ack.Method(60, 80);
        ack.UInt64(deliveryTag);
        ack.Byte(0);
        return SendMethodAsync(Channel, ack, cancellationToken);
    }

    public Task NackAsync(ulong deliveryTag, bool requeue, CancellationToken cancellationToken)
    {
        var nack = new FrameWriter();
        nack.Method(60, 120);
        nack.UInt64(deliveryTag);
        nack.Byte(requeue ? (byte)2 : (byte)0);
        return SendMethodAsync(Channel, nack, cancellationToken);
    }

    /// <summary>Publishes to the default exchange and waits for the broker's confirm.</summary>
    public async Task PublishAsync(string routingKey, RawAmqpProperties properties, byte[] body, CancellationToken cancellationToken)
    {
        await SendPublishAsync(routingKey, properties, (ulong)body.Length, cancellationToken).ConfigureAwait(false);
        var max = (int)_frameMax - 8;
        for (var offset = 0; offset < body.Length; offset += max)
        {
            await SendFrameAsync(FrameBody, Channel, body.AsSpan(offset, Math.Min(max, body.Length - offset)).ToArray(), cancellationToken)
                .ConfigureAwait(false);
        }

        await WaitForConfirmAsync(routingKey, cancellationToken).ConfigureAwait(false);
    }

    // basic.publish (mandatory) and the content header; the body frames follow.
    private async Task SendPublishAsync(string routingKey, RawAmqpProperties properties, ulong bodySize, CancellationToken cancellationToken)
    {
        var publish = new FrameWriter();
        publish.Method(60, 40);
        publish.UInt16(0);
        publish.ShortString(string.Empty);
        publish.ShortString(routingKey);
        publish.Byte(1);
        await SendMethodAsync(Channel, publish, cancellationToken).ConfigureAwait(false);

        var header = new FrameWriter();
        header.UInt16(60);
        header.UInt16(0);
        header.UInt64(bodySize);
        header.Properties(properties);
        await SendFrameAsync(FrameHeader, Channel, header.ToArray(), cancellationToken).ConfigureAwait(false);
    }

    private async Task WaitForConfirmAsync(string routingKey, CancellationToken cancellationToken)
    {
        _publishSequence++;
        while (true)
        {
            var (classId, methodId, payload) = await ReadMethodAsync(cancellationToken).ConfigureAwait(false);
            if (classId == 60 && methodId == 50)
            {
                throw new InvalidOperationException($"The broker returned the message published to '{routingKey}'.");
            }

            if (classId == 60 && methodId is 80 or 120)
            {
                var tag = BinaryPrimitives.ReadUInt64BigEndian(payload.AsSpan(4));
                var multiple = (payload[12] & 1) != 0;
                if (tag == _publishSequence || (multiple && tag >= _publishSequence))
                {
                    if (methodId == 120)
                    {
                        throw new InvalidOperationException($"The broker nacked the message published to '{routingKey}'.");
                    }

                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            var close = new FrameWriter();
            close.Method(10, 50);
            close.UInt16(200);
            close.ShortString("bye");
            close.UInt16(0);
            close.UInt16(0);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendMethodAsync(0, close, timeout.Token).ConfigureAwait(false);
            while (true)
            {
                var (classId, methodId, _) = await ReadMethodAsync(timeout.Token).ConfigureAwait(false);
                if (classId == 10 && methodId == 51)
                {
                    break;
                }
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or SocketException)
        {
            // Closing anyway.
        }
        finally
        {
            _tcp.Dispose();
        }
    }

    private async Task<byte[]> ExpectMethodAsync(ushort classId, ushort methodId, CancellationToken cancellationToken)
    {
        var (actualClass, actualMethod, payload) = await ReadMethodAsync(cancellationToken).ConfigureAwait(false);
        return actualClass == classId && actualMethod == methodId
            ? payload
            : throw new InvalidOperationException($"Expected AMQP method {classId}.{methodId}, got {actualClass}.{actualMethod}.");
    }

    private async Task<(ushort ClassId, ushort MethodId, byte[] Payload)> ReadMethodAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var (type, _, payload) = await ReadFrameAsync(cancellationToken).ConfigureAwait(false);
            if (type != FrameMethod)
            {
                continue;
            }

            var classId = BinaryPrimitives.ReadUInt16BigEndian(payload);
            var methodId = BinaryPrimitives.ReadUInt16BigEndian(payload.AsSpan(2));
            if ((classId == 10 && methodId == 50) || (classId == 20 && methodId == 40))
            {
                var reader = new FrameReader(payload, 4);
                var code = reader.UInt16();
                throw new InvalidOperationException($"The broker closed the {(classId == 10 ? "connection" : "channel")}: {code} {reader.ShortString()}");
            }

            return (classId, methodId, payload);
        }
    }

    private async Task<(byte Type, ushort Channel, byte[] Payload)> ReadFrameAsync(CancellationToken cancellationToken)
    {
        var head = new byte[7];
        await _stream.ReadExactlyAsync(head, cancellationToken).ConfigureAwait(false);
        var size = BinaryPrimitives.ReadUInt32BigEndian(head.AsSpan(3));
        var payload = new byte[size + 1];
        await _stream.ReadExactlyAsync(payload, cancellationToken).ConfigureAwait(false);
        if (payload[^1] != FrameEnd)
        {
            throw new InvalidOperationException("Malformed AMQP frame.");
        }

        return (head[0], BinaryPrimitives.ReadUInt16BigEndian(head.AsSpan(1)), payload[..^1]);
    }

    private Task SendMethodAsync(ushort channel, FrameWriter method, CancellationToken cancellationToken) =>
        SendFrameAsync(FrameMethod, channel, method.ToArray(), cancellationToken);

    private async Task SendFrameAsync(byte type, ushort channel, byte[] payload, CancellationToken cancellationToken)
    {
        var frame = new byte[payload.Length + 8];
        frame[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(1), channel);
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(3), (uint)payload.Length);
        payload.CopyTo(frame, 7);
        frame[^1] = FrameEnd;
        await _stream.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    private sealed class FrameWriter
    {
        private readonly MemoryStream _buffer = new();

        public byte[] ToArray() => _buffer.ToArray();

        public void Method(ushort classId, ushort methodId)
        {
            UInt16(classId);
            UInt16(methodId);
        }

        public void Byte(byte value) => _buffer.WriteByte(value);

        public void UInt16(ushort value)
        {
            Span<byte> span = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16BigEndian(span, value);
            _buffer.Write(span);
        }

        public void UInt32(uint value)
        {
            Span<byte> span = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(span, value);
            _buffer.Write(span);
        }

        public void UInt64(ulong value)
        {
            Span<byte> span = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(span, value);
            _buffer.Write(span);
        }

        public void ShortString(string value)
        {
            var bytes = Encoding.UTF8.GetBytes(value);
            Byte((byte)bytes.Length);
            _buffer.Write(bytes);
        }

        public void LongString(byte[] bytes)
        {
            UInt32((uint)bytes.Length);
            _buffer.Write(bytes);
        }

        public void Table(IDictionary<string, object?> table)
        {
            var inner = new FrameWriter();
            foreach (var (key, value) in table)
            {
                inner.ShortString(key);
                inner.FieldValue(value);
            }

            LongString(inner.ToArray());
        }

        private void FieldValue(object? value)
        {
            switch (value)
            {
                case null:
                    Byte((byte)'V');
                    break;
                case string s:
                    Byte((byte)'S');
                    LongString(Encoding.UTF8.GetBytes(s));
                    break;
                case byte[] bytes:
                    Byte((byte)'S');
                    LongString(bytes);
                    break;
                case bool b:
                    Byte((byte)'t');
                    Byte(b ? (byte)1 : (byte)0);
                    break;
                case int i:
                    Byte((byte)'I');
                    UInt32((uint)i);
                    break;
                case long l:
                    Byte((byte)'l');
                    UInt64((ulong)l);
                    break;
                case AmqpLongLongL big:
                    Byte((byte)'L');
                    UInt64((ulong)big.Value);
                    break;
                case double d:
                    Byte((byte)'d');
                    UInt64((ulong)BitConverter.DoubleToInt64Bits(d));
                    break;
                case IDictionary<string, object?> nested:
                    Byte((byte)'F');
                    Table(nested);
                    break;
                case System.Collections.IList list:
                    Byte((byte)'A');
                    var inner = new FrameWriter();
                    foreach (var item in list)
                    {
                        inner.FieldValue(item);
                    }

                    LongString(inner.ToArray());
                    break;
                default:
                    Byte((byte)'S');
                    LongString(Encoding.UTF8.GetBytes(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty));
                    break;
            }
        }

        public void Properties(RawAmqpProperties properties)
        {
            ushort flags = 0;
            var fields = new FrameWriter();
            if (properties.ContentType is { } contentType)
            {
                flags |= 1 << 15;
                fields.ShortString(contentType);
            }

            if (properties.ContentEncoding is { } contentEncoding)
            {
                flags |= 1 << 14;
                fields.ShortString(contentEncoding);
            }

            if (properties.Headers is { } headers)
            {
                flags |= 1 << 13;
                fields.Table(headers);
            }

            flags |= 1 << 12;
            fields.Byte(properties.DeliveryMode);
            flags |= 1 << 11;
            fields.Byte(properties.Priority);
            if (properties.CorrelationId is { } correlationId)
            {
                flags |= 1 << 10;
                fields.ShortString(correlationId);
            }

            if (properties.ReplyTo is { } replyTo)
            {
                flags |= 1 << 9;
                fields.ShortString(replyTo);
            }

            if (properties.MessageId is { } messageId)
            {
                flags |= 1 << 7;
                fields.ShortString(messageId);
            }

            UInt16(flags);
            _buffer.Write(fields.ToArray());
        }
    }

    private sealed class FrameReader(byte[] buffer, int offset)
    {
        private int _offset = offset;
        private bool _unreadable;

        public byte Byte() => buffer[_offset++];

        public ushort UInt16()
        {
            var value = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(_offset));
            _offset += 2;
            return value;
        }

        public uint UInt32()
        {
            var value = BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(_offset));
            _offset += 4;
            return value;
        }

        public ulong UInt64()
        {
            var value = BinaryPrimitives.ReadUInt64BigEndian(buffer.AsSpan(_offset));
            _offset += 8;
            return value;
        }

        public string ShortString()
        {
            int length = Byte();
            var value = Encoding.UTF8.GetString(buffer, _offset, length);
            _offset += length;
            return value;
        }

        private byte[] LongBytes()
        {
            var length = (int)UInt32();
            var value = buffer.AsSpan(_offset, length).ToArray();
            _offset += length;
            return value;
        }

        public RawAmqpProperties Properties(out bool unreadable)
        {
            var flags = UInt16();
            var properties = new RawAmqpProperties
            {
                ContentType = (flags & (1 << 15)) != 0 ? ShortString() : null,
                ContentEncoding = (flags & (1 << 14)) != 0 ? ShortString() : null,
                Headers = (flags & (1 << 13)) != 0 ? Table() : null,
                DeliveryMode = (flags & (1 << 12)) != 0 ? Byte() : (byte)1,
                Priority = (flags & (1 << 11)) != 0 ? Byte() : (byte)0,
                CorrelationId = (flags & (1 << 10)) != 0 ? ShortString() : null,
                ReplyTo = (flags & (1 << 9)) != 0 ? ShortString() : null,
            };
            if ((flags & (1 << 8)) != 0)
            {
                ShortString();
            }

            properties = properties with { MessageId = (flags & (1 << 7)) != 0 ? ShortString() : null };
            unreadable = _unreadable;
            return properties;
        }

        private Dictionary<string, object?> Table()
        {
            var length = (int)UInt32();
            var end = _offset + length;
            var table = new Dictionary<string, object?>(StringComparer.Ordinal);
            while (_offset < end)
            {
                var key = ShortString();
                table[key] = FieldValue();
            }

            return table;
        }

        private object? FieldValue()
        {
            var type = (char)Byte();
            switch (type)
            {
                case 'S':
                case 'x':
                    return LongBytes();
                case 'I':
                    return (int)UInt32();
                case 'i':
                    return UInt32();
                case 'l':
                    return (long)UInt64();
                case 'L':
                    _unreadable = true;
                    return (long)UInt64();
                case 'T':
                    return (long)UInt64();
                case 't':
                    return Byte() != 0;
                case 'b':
                    return (sbyte)Byte();
                case 'B':
                    return Byte();
                case 's':
                    return (short)UInt16();
                case 'u':
                    return UInt16();
                case 'f':
                    return BitConverter.Int32BitsToSingle((int)UInt32());
                case 'd':
                    return BitConverter.Int64BitsToDouble((long)UInt64());
                case 'D':
                    var scale = Byte();
                    var unscaled = (int)UInt32();
                    return new decimal(Math.Abs(unscaled), 0, 0, unscaled < 0, scale);
                case 'F':
                    return Table();
                case 'A':
                    var length = (int)UInt32();
                    var end = _offset + length;
                    var list = new List<object?>();
                    while (_offset < end)
                    {
                        list.Add(FieldValue());
                    }

                    return list;
                case 'V':
                    return null;
                default:
                    throw new InvalidOperationException($"Unknown AMQP field type '{type}'.");
            }
        }
    }
}
