-- One round trip to take any free LLM slot: the scan over the slots' advisory locks runs in the
-- server, starting at a random slot so concurrent callers spread out. NULL when every slot is taken.
CREATE FUNCTION asmis_try_llm_slot(namespace integer, slots integer) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    first integer := floor(random() * slots)::integer;
    slot integer;
BEGIN
    FOR i IN 0 .. slots - 1 LOOP
        slot := (first + i) % slots;
        IF pg_try_advisory_lock(namespace, slot) THEN
            RETURN slot;
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
