<Parameter>
</Parameter>
