using System.Collections.Immutable;
using System.Reflection.Emit;
using System.Reflection.Metadata;
using System.Reflection.Metadata.Ecma335;
using System.Reflection.PortableExecutable;

namespace Onboarding.Tests.TaskEngine.Architecture;

/// <summary>
/// Which namespaces and which other assemblies each namespace of an assembly uses, read from its metadata: base types,
/// interfaces, field and method signatures, and every type, method and field token in the method bodies (so a
/// <c>new</c>, a call, a cast or a generic argument counts, whether or not it shows in a signature). Compiler-made
/// types (lambdas' closures, async state machines) count for the type they were written in.
/// </summary>
internal sealed class TypeReferenceGraph
{
    private static readonly Dictionary<short, OperandType> OperandTypes = typeof(OpCodes)
        .GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
        .Select(field => (OpCode)field.GetValue(null)!)
        .ToDictionary(code => code.Value, code => code.OperandType);

    private readonly MetadataReader _reader;
    private readonly SignatureProvider _signatures;

    private TypeReferenceGraph(MetadataReader reader)
    {
        _reader = reader;
        _signatures = new SignatureProvider(this);
    }

    /// <summary>Edges from a namespace of the assembly to the namespaces of the same assembly it uses, each with one example.</summary>
    public Dictionary<string, Dictionary<string, string>> NamespaceEdges { get; } = new(StringComparer.Ordinal);

    /// <summary>For each namespace of the assembly, the other assemblies it uses, each with one example.</summary>
    public Dictionary<string, Dictionary<string, string>> AssemblyEdges { get; } = new(StringComparer.Ordinal);

    public static TypeReferenceGraph Read(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        using var pe = new PEReader(stream);
        var graph = new TypeReferenceGraph(pe.GetMetadataReader());
        graph.Walk(pe);
        return graph;
    }

    private void Walk(PEReader pe)
    {
        foreach (var handle in _reader.TypeDefinitions)
        {
            var type = _reader.GetTypeDefinition(handle);
            var from = NamespaceOf(handle);
            if (from.Length == 0)
            {
                continue;
            }

            var name = FullName(handle);
            if (!type.BaseType.IsNil)
            {
                AddEntity(from, name, type.BaseType);
            }

            foreach (var implementation in type.GetInterfaceImplementations())
            {
                AddEntity(from, name, _reader.GetInterfaceImplementation(implementation).Interface);
            }

            foreach (var fieldHandle in type.GetFields())
            {
                foreach (var target in _reader.GetFieldDefinition(fieldHandle).DecodeSignature(_signatures, null))
                {
                    Add(from, name, target);
                }
            }

            foreach (var methodHandle in type.GetMethods())
            {
                var method = _reader.GetMethodDefinition(methodHandle);
                var signature = method.DecodeSignature(_signatures, null);
                foreach (var target in signature.ParameterTypes.SelectMany(p => p).Concat(signature.ReturnType))
                {
                    Add(from, name, target);
                }

                if (method.RelativeVirtualAddress != 0)
                {
                    WalkBody(from, name, pe.GetMethodBody(method.RelativeVirtualAddress));
                }
            }
        }
    }

    private void WalkBody(string from, string name, MethodBodyBlock body)
    {
        if (!body.LocalSignature.IsNil)
        {
            var locals = _reader.GetStandaloneSignature(body.LocalSignature).DecodeLocalSignature(_signatures, null);
            foreach (var target in locals.SelectMany(l => l))
            {
                Add(from, name, target);
            }
        }

        var il = body.GetILReader();
        while (il.RemainingBytes > 0)
        {
            short value = il.ReadByte();
            if (value == 0xFE)
            {
                value = unchecked((short)(0xFE00 | il.ReadByte()));
            }

            switch (OperandTypes[value])
            {
                case OperandType.InlineType or OperandType.InlineTok or OperandType.InlineMethod or OperandType.InlineField:
                    AddEntity(from, name, MetadataTokens.EntityHandle(il.ReadInt32()));
                    break;
                case OperandType.InlineSwitch:
                    // Read first: `Offset += 4 * ReadInt32()` would add to the offset from before the read.
                    var targets = il.ReadInt32();
                    il.Offset += 4 * targets;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    il.Offset += 8;
                    break;
                case OperandType.InlineBrTarget or OperandType.InlineI or OperandType.InlineSig or OperandType.InlineString
                    or OperandType.ShortInlineR:
                    il.Offset += 4;
                    break;
                case OperandType.InlineVar:
                    il.Offset += 2;
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    il.Offset += 1;
                    break;
            }
        }
    }

    private void AddEntity(string from, string name, EntityHandle handle)
    {
        foreach (var target in Resolve(handle))
        {
            Add(from, name, target);
        }
    }

    private void Add(string from, string name, Target target)
    {
        if (target.Namespace is { } ns)
        {
            if (ns != from)
            {
                Edges(NamespaceEdges, from).TryAdd(ns, $"{name} uses {target.Type}");
            }
        }
        else if (target.Assembly is { } assembly)
        {
            Edges(AssemblyEdges, from).TryAdd(assembly, $"{name} uses {target.Type}");
        }
    }

    private static Dictionary<string, string> Edges(Dictionary<string, Dictionary<string, string>> edges, string from)
    {
        if (!edges.TryGetValue(from, out var targets))
        {
            edges[from] = targets = new Dictionary<string, string>(StringComparer.Ordinal);
        }

        return targets;
    }

    private ImmutableArray<Target> Resolve(EntityHandle handle)
    {
        switch (handle.Kind)
        {
            case HandleKind.TypeDefinition:
                return [Target.Defined(NamespaceOf((TypeDefinitionHandle)handle), FullName((TypeDefinitionHandle)handle))];
            case HandleKind.TypeReference:
                return [ReferenceTarget((TypeReferenceHandle)handle)];
            case HandleKind.TypeSpecification:
                return _reader.GetTypeSpecification((TypeSpecificationHandle)handle).DecodeSignature(_signatures, null);
            case HandleKind.MethodDefinition:
                return Resolve(_reader.GetMethodDefinition((MethodDefinitionHandle)handle).GetDeclaringType());
            case HandleKind.FieldDefinition:
                return Resolve(_reader.GetFieldDefinition((FieldDefinitionHandle)handle).GetDeclaringType());
            case HandleKind.MemberReference:
                return Resolve(_reader.GetMemberReference((MemberReferenceHandle)handle).Parent);
            case HandleKind.MethodSpecification:
                var specification = _reader.GetMethodSpecification((MethodSpecificationHandle)handle);
                return [.. Resolve(specification.Method), .. specification.DecodeSignature(_signatures, null).SelectMany(t => t)];
            default:
                return [];
        }
    }

    private Target ReferenceTarget(TypeReferenceHandle handle)
    {
        var reference = _reader.GetTypeReference(handle);
        var scope = reference.ResolutionScope;
        while (scope.Kind == HandleKind.TypeReference)
        {
            scope = _reader.GetTypeReference((TypeReferenceHandle)scope).ResolutionScope;
        }

        var name = _reader.GetString(reference.Name);
        return scope.Kind == HandleKind.AssemblyReference
            ? Target.External(_reader.GetString(_reader.GetAssemblyReference((AssemblyReferenceHandle)scope).Name), name)
            : Target.External("?", name);
    }

    private string NamespaceOf(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = _reader.GetTypeDefinition(type.GetDeclaringType());
        }

        return _reader.GetString(type.Namespace);
    }

    private string FullName(TypeDefinitionHandle handle)
    {
        var type = _reader.GetTypeDefinition(handle);
        while (type.IsNested)
        {
            type = _reader.GetTypeDefinition(type.GetDeclaringType());
        }

        return _reader.GetString(type.Name);
    }

    private readonly record struct Target(string? Namespace, string? Assembly, string Type)
    {
        public static Target Defined(string ns, string type) => new(ns.Length == 0 ? null : ns, null, type);

        public static Target External(string assembly, string type) => new(null, assembly, type);
    }

    /// <summary>Decodes a signature into the types it names, generic arguments included.</summary>
    private sealed class SignatureProvider(TypeReferenceGraph graph) : ISignatureTypeProvider<ImmutableArray<Target>, object?>
    {
        public ImmutableArray<Target> GetPrimitiveType(PrimitiveTypeCode typeCode) => [];

        public ImmutableArray<Target> GetTypeFromDefinition(MetadataReader reader, TypeDefinitionHandle handle, byte rawTypeKind) =>
            graph.Resolve(handle);

        public ImmutableArray<Target> GetTypeFromReference(MetadataReader reader, TypeReferenceHandle handle, byte rawTypeKind) =>
            graph.Resolve(handle);

        public ImmutableArray<Target> GetTypeFromSpecification(MetadataReader reader, object? genericContext, TypeSpecificationHandle handle, byte rawTypeKind) =>
            graph.Resolve(handle);

        public ImmutableArray<Target> GetSZArrayType(ImmutableArray<Target> elementType) => elementType;

        public ImmutableArray<Target> GetArrayType(ImmutableArray<Target> elementType, ArrayShape shape) => elementType;

        public ImmutableArray<Target> GetByReferenceType(ImmutableArray<Target> elementType) => elementType;

        public ImmutableArray<Target> GetPointerType(ImmutableArray<Target> elementType) => elementType;

        public ImmutableArray<Target> GetPinnedType(ImmutableArray<Target> elementType) => elementType;

        public ImmutableArray<Target> GetGenericInstantiation(ImmutableArray<Target> genericType, ImmutableArray<ImmutableArray<Target>> typeArguments) =>
            [.. genericType, .. typeArguments.SelectMany(t => t)];

        public ImmutableArray<Target> GetGenericMethodParameter(object? genericContext, int index) => [];

        public ImmutableArray<Target> GetGenericTypeParameter(object? genericContext, int index) => [];

        public ImmutableArray<Target> GetFunctionPointerType(MethodSignature<ImmutableArray<Target>> signature) =>
            [.. signature.ReturnType, .. signature.ParameterTypes.SelectMany(t => t)];

        public ImmutableArray<Target> GetModifiedType(ImmutableArray<Target> modifier, ImmutableArray<Target> unmodifiedType, bool isRequired) =>
            unmodifiedType;
    }
}
